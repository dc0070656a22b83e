import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICIES } from '../../../rig/src/scheduler/policies.js';
import type { Policy } from '../../../rig/src/scheduler/types.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { simulate } from '../../../rig/src/sim/simulator.js';
import { traceToJsonLines } from '../../../rig/src/sim/trace.js';
import { GOLDEN_DIR, goldenWorkloads } from './golden/workloads.js';

const workloads = await goldenWorkloads();

/** The first line where two traces differ, for a readable failure (the whole trace is hundreds of lines). */
function firstDifference(actual: string, golden: string): string | undefined {
  const a = actual.split('\n');
  const g = golden.split('\n');
  for (let i = 0; i < Math.max(a.length, g.length); i += 1)
    if (a[i] !== g[i]) return `line ${i + 1}:\n  now:    ${a[i] ?? '(none)'}\n  golden: ${g[i] ?? '(none)'}`;
  return undefined;
}

describe('every decision stays as recorded', () => {
  for (const workload of workloads) {
    for (const policy of ['naive', 'swap-aware'] as const) {
      it(`${workload.name} under ${policy} (${workload.specs.length} tasks) gives the golden trace`, () => {
        const golden = readFileSync(join(GOLDEN_DIR, `${workload.name}.${policy}.jsonl`), 'utf8');
        const { result } = runScenario(workload.specs, workload.profile, policy);
        expect(firstDifference(traceToJsonLines(result.trace), golden)).toBeUndefined();
      });
    }
  }

  it('a single decision held back one turn shows up in the comparison', () => {
    const workload = workloads.find((w) => w.name === 'video-pipeline-12');
    if (workload === undefined) throw new Error('no video-pipeline-12');
    const golden = readFileSync(join(GOLDEN_DIR, 'video-pipeline-12.swap-aware.jsonl'), 'utf8');
    let changed = false;
    // The real policy, except that the first time it starts two tasks at once the second start waits a turn.
    const policy: Policy = (input) => {
      const output = POLICIES['swap-aware'](input);
      const starts = output.decisions.filter((d) => d.kind === 'start');
      if (changed || starts.length < 2) return output;
      changed = true;
      return { ...output, decisions: output.decisions.filter((d) => d !== starts[1]) };
    };
    const { trace } = simulate(workload.specs, { profile: workload.profile, policy });
    expect(changed).toBe(true);
    expect(firstDifference(traceToJsonLines(trace), golden)).toBeDefined();
  });
});
