import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RigProfileSchema, type PlanTask } from '@rigmind/protocol';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';

const profile = RigProfileSchema.parse(
  JSON.parse(readFileSync(new URL('../../../examples/rigs/rig-5x1060.json', import.meta.url), 'utf8')),
);
const rig = rigSpecFromProfile(profile);

const kinds = [
  'cpu',
  'script-none',
  'brain',
  ...Object.keys(profile.models).map((model) => `model:${model}`),
  'llm-default',
] as const;

/** A random DAG: each task may depend on earlier ones only, so it is acyclic by construction. */
const taskArb = fc.record({
  kind: fc.constantFrom(...kinds),
  priority: fc.integer({ min: 1, max: 10 }),
  estimate: fc.integer({ min: 0, max: 200 }),
  deps: fc.array(fc.nat(), { maxLength: 3 }),
  at: fc.constantFrom(0, 0, 0, 30, 120, 400),
});

interface RandomTask {
  readonly kind: string;
  readonly priority: number;
  readonly estimate: number;
  readonly deps: readonly number[];
}

function toPlanTask(index: number, task: RandomTask): PlanTask {
  const name = `t${index}`;
  const deps: string[] = index === 0 ? [] : [...new Set(task.deps.map((d) => `t${d % index}`))];
  const base = {
    name,
    priority: task.priority,
    estimate_s: task.estimate,
    ...(deps.length > 0 ? { depends_on: deps } : {}),
  };
  if (task.kind === 'cpu') return { ...base, type: 'shell', task_class: 'cpu', command: 'true' };
  if (task.kind === 'script-none') return { ...base, type: 'shell', task_class: 'script', command: 'python x.py' };
  if (task.kind === 'brain') return { ...base, type: 'llm', task_class: 'llm', executor: 'brain', prompt: 'think' };
  if (task.kind === 'llm-default') return { ...base, type: 'llm', task_class: 'llm', prompt: 'answer' };
  const model = task.kind.slice('model:'.length);
  const spec = profile.models[model];
  return spec?.kind === 'llm'
    ? { ...base, type: 'llm', task_class: 'llm', model, prompt: 'answer' }
    : { ...base, type: 'shell', task_class: 'script', model, command: 'python y.py' };
}

describe('random plans on the seed rig', () => {
  it('both policies finish every task with a feasible trace', () => {
    fc.assert(
      fc.property(fc.array(taskArb, { minLength: 1, maxLength: 30 }), (tasks) => {
        const planTasks = tasks.map((task, i) => toPlanTask(i, task));
        const resolved = resolvePlan({ plan: 'random', tasks: planTasks });
        if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
        const submitAt = new Map(planTasks.map((task, i) => [task.name, tasks[i]?.at ?? 0]));
        // A task is submitted no earlier than its dependencies, as a real stream of plans would be.
        const at = new Map<string, number>();
        const specs: SimTaskSpec[] = resolved.value.tasks.map((task) => {
          const own = Math.max(submitAt.get(task.name) ?? 0, ...task.depends_on.map((dep) => at.get(dep) ?? 0));
          at.set(task.name, own);
          return { id: task.name, deps: task.depends_on, task, submitAtS: own };
        });
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
