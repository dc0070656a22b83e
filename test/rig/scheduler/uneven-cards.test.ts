import { RigProfileSchema, type PlanTask } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { mayLoadBeside, rigSpecFromProfile, switchCostS } from '../../../rig/src/scheduler/rig-spec.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';
import { UNEVEN_PROFILE_JSON } from '../../helpers/sim-workload.js';

// Card 0 is too small for `big`; card 1 holds it. The rig is feasible (one card fits), so only the policy can err.
const profile = RigProfileSchema.parse(UNEVEN_PROFILE_JSON);
const rig = rigSpecFromProfile(profile);

function specs(count: number): SimTaskSpec[] {
  const tasks: PlanTask[] = Array.from({ length: count }, (_, i) => ({
    name: `ask${i}`,
    type: 'llm',
    task_class: 'llm',
    model: 'big',
    prompt: 'hi',
    estimate_s: 30,
  }));
  const resolved = resolvePlan({ plan: 'p', tasks });
  if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
  return resolved.value.tasks.map((task) => ({ id: task.name, deps: task.depends_on, task, submitAtS: 0 }));
}

describe('a model larger than some cards of the rig', () => {
  it('may not load on an empty card too small for it, and switching there costs for ever', () => {
    expect(mayLoadBeside(rig, 4096, [], 'big')).toBe(false);
    expect(mayLoadBeside(rig, 8192, [], 'big')).toBe(true);
    expect(switchCostS(rig, 4096, [], 'big')).toBe(Infinity);
  });

  for (const policy of ['naive', 'swap-aware'] as const) {
    it(`runs only on the card that holds it under ${policy}, with a feasible trace`, () => {
      const run = runScenario(specs(3), profile, policy);
      expect(checkTrace(run.result.trace, run.checked, rig)).toEqual([]);
      const used = new Set(run.result.trace.flatMap((entry) => entry.gpus));
      expect([...used]).toEqual([1]);
      expect(run.result.makespanS).toBe(60 + 3 * 30);
    });
  }
});
