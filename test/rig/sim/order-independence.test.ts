import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RigProfile } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { generatedWorkloads } from '../../../bench/sim/workloads.js';
import { prng } from '../../helpers/sim-workload.js';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { DEFAULT_RIG_PATH, loadRigProfile, loadScenario } from '../../../rig/src/sim/scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';

const ROOT = join(import.meta.dirname, '../../..');
const seed = await loadRigProfile(DEFAULT_RIG_PATH);
if (!seed.ok) throw new Error(seed.message);

const workloads: { name: string; specs: SimTaskSpec[]; profile: RigProfile }[] = [];
for (const dir of ['examples/plans', 'examples/scenarios'])
  for (const file of readdirSync(join(ROOT, dir)).sort()) {
    const loaded = await loadScenario(join(ROOT, dir, file));
    if (!loaded.ok) throw new Error(loaded.message);
    workloads.push({ name: file, specs: loaded.value.specs, profile: loaded.value.profile });
  }
for (const generated of generatedWorkloads(0.5)) workloads.push({ ...generated, profile: seed.value });

/** The same tasks in a seeded random order (Fisher-Yates). */
function shuffled(specs: readonly SimTaskSpec[], seedValue: number): SimTaskSpec[] {
  const random = prng(seedValue);
  const out = [...specs];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as SimTaskSpec, out[i] as SimTaskSpec];
  }
  return out;
}

describe('the order tasks are listed in', () => {
  for (const workload of workloads) {
    for (const policy of ['swap-aware', 'naive'] as const) {
      it(`does not change the makespan of ${workload.name} under ${policy} (reversed, shuffled)`, () => {
        const rig = rigSpecFromProfile(workload.profile);
        const listed = runScenario(workload.specs, workload.profile, policy).result.makespanS;
        for (const other of [[...workload.specs].reverse(), shuffled(workload.specs, 7)]) {
          const run = runScenario(other, workload.profile, policy);
          // Dependencies listed after their dependents once broke the tails and the look-ahead (1.8x on the video
          // batch); the target is 2%.
          expect(checkTrace(run.result.trace, run.checked, rig)).toEqual([]);
          expect(Math.abs(run.result.makespanS / listed - 1)).toBeLessThanOrEqual(0.02);
        }
      });
    }
  }
});
