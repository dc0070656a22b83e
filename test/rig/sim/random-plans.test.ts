import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RigProfileSchema } from '@rigmind/protocol';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { randomSpecs, randomTaskArb } from '../../../bench/sim/random-plans.js';

const profile = RigProfileSchema.parse(
  JSON.parse(readFileSync(new URL('../../../examples/rigs/rig-5x1060.json', import.meta.url), 'utf8')),
);
const rig = rigSpecFromProfile(profile);

describe('random plans on the seed rig', () => {
  it('both policies finish every task with a feasible trace', () => {
    fc.assert(
      fc.property(fc.array(randomTaskArb(profile), { minLength: 1, maxLength: 30 }), (tasks) => {
        const specs = randomSpecs(tasks, profile);
        for (const policy of ['naive', 'swap-aware'] as const) {
          const run = runScenario(specs, profile, policy);
          expect(checkTrace(run.result.trace, run.checked, rig)).toEqual([]);
          expect(run.result.tasks.every((task) => task.endS >= task.startS)).toBe(true);
          expect(run.metrics.makespan_s).toBeGreaterThanOrEqual(run.metrics.lower_bound_s - 1e-6);
        }
      }),
      { numRuns: 150, seed: 20260207 },
    );
  });
});
