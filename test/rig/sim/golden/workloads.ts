// The workloads whose traces are kept as golden files: every example plan and scenario, and seeded random streams.
// A change of speed must not change a decision, so each policy's trace on each must stay byte for byte the same.
// Record again (only when a decision is meant to change): node -C source --import tsx test/rig/sim/golden/record.ts
import { join } from 'node:path';
import type { RigProfile } from '@rigmind/protocol';
import { loadScenario } from '../../../../rig/src/sim/scenario.js';
import type { SimTaskSpec } from '../../../../rig/src/sim/sim-tasks.js';
import { BRAINLESS_PROFILE, SEED_PROFILE, streamWorkload } from '../../../helpers/sim-workload.js';

/** A named workload. */
export interface GoldenWorkload {
  readonly name: string;
  readonly specs: readonly SimTaskSpec[];
  readonly profile: RigProfile;
}

const ROOT = join(import.meta.dirname, '../../../..');
const EXAMPLES = [
  'examples/plans/video-pipeline-12.json',
  'examples/plans/diamond.yaml',
  'examples/plans/demo.md',
  'examples/plans/autofix.md',
  'examples/scenarios/mixed-hour.json',
];

/** Where the golden traces live. */
export const GOLDEN_DIR = import.meta.dirname;

/** Every golden workload, examples first. */
export async function goldenWorkloads(): Promise<GoldenWorkload[]> {
  const out: GoldenWorkload[] = [];
  for (const path of EXAMPLES) {
    const loaded = await loadScenario(join(ROOT, path));
    if (!loaded.ok) throw new Error(loaded.message);
    const name =
      path
        .split('/')
        .pop()
        ?.replace(/\.[a-z]+$/, '') ?? path;
    out.push({ name, specs: loaded.value.specs, profile: loaded.value.profile });
  }
  out.push({ name: 'stream-300', specs: streamWorkload({ seed: 1, tasks: 300, gapS: 40 }), profile: SEED_PROFILE });
  out.push({ name: 'backlog-300', specs: streamWorkload({ seed: 2, tasks: 300, gapS: 0 }), profile: SEED_PROFILE });
  out.push({
    name: 'brainless-250',
    specs: streamWorkload({ seed: 3, tasks: 250, gapS: 60 }),
    profile: BRAINLESS_PROFILE,
  });
  out.push({ name: 'busy-400', specs: streamWorkload({ seed: 4, tasks: 400, gapS: 20 }), profile: SEED_PROFILE });
  return out;
}
