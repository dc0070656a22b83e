// Random plans on the seed rig, from fast-check with a fixed seed: DAGs of up to `maxTasks` tasks over every kind
// of work the rig has (cpu, scripts with and without a model, each model, the brain, the default LLM), priorities
// 1-10, estimates 0-200 s, up to three dependencies each, submitted at 0, 30, 120 or 400 s. Shared by the property
// test (test/rig/sim/random-plans.test.ts) and the "never slower than naive" line of `npm run bench -- scheduler`.
import fc from 'fast-check';
import type { PlanTask, RigProfile } from '@rigmind/protocol';
import { resolvePlan } from '../../rig/src/plan/resolve-plan.js';
import type { PolicyName } from '../../rig/src/scheduler/policies.js';
import { runScenario } from '../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../rig/src/sim/sim-tasks.js';

/** One random task before it is named and wired. */
export interface RandomTask {
  readonly kind: string;
  readonly priority: number;
  readonly estimate: number;
  readonly deps: readonly number[];
  readonly at: number;
}

/** A random task over the profile's kinds of work. */
export function randomTaskArb(profile: RigProfile): fc.Arbitrary<RandomTask> {
  const kinds = ['cpu', 'script-none', 'brain', ...Object.keys(profile.models).map((m) => `model:${m}`), 'llm-default'];
  return fc.record({
    kind: fc.constantFrom(...kinds),
    priority: fc.integer({ min: 1, max: 10 }),
    estimate: fc.integer({ min: 0, max: 200 }),
    deps: fc.array(fc.nat(), { maxLength: 3 }),
    at: fc.constantFrom(0, 0, 0, 30, 120, 400),
  });
}

function toPlanTask(index: number, task: RandomTask, profile: RigProfile): PlanTask {
  const name = `t${index}`;
  // Each task depends on earlier ones only, so the plan is acyclic by construction.
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
  return profile.models[model]?.kind === 'llm'
    ? { ...base, type: 'llm', task_class: 'llm', model, prompt: 'answer' }
    : { ...base, type: 'shell', task_class: 'script', model, command: 'python y.py' };
}

/** The simulator's input for random tasks: a task is submitted no earlier than its dependencies, as a real stream. */
export function randomSpecs(tasks: readonly RandomTask[], profile: RigProfile): SimTaskSpec[] {
  const planTasks = tasks.map((task, i) => toPlanTask(i, task, profile));
  const resolved = resolvePlan({ plan: 'random', tasks: planTasks });
  if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
  const submitAt = new Map(planTasks.map((task, i) => [task.name, tasks[i]?.at ?? 0]));
  const at = new Map<string, number>();
  return resolved.value.tasks.map((task) => {
    const own = Math.max(submitAt.get(task.name) ?? 0, ...task.depends_on.map((dep) => at.get(dep) ?? 0));
    at.set(task.name, own);
    return { id: task.name, deps: task.depends_on, task, submitAtS: own };
  });
}

/** How swap-aware compares with naive on a set of plans. */
export interface VersusNaive {
  readonly plans: number;
  /** Plans where swap-aware's makespan is longer than naive's. */
  readonly slower: number;
  /** The largest swap-aware ÷ naive makespan among them (1 when none). */
  readonly worst: number;
  /** Total naive makespan ÷ total swap-aware makespan. */
  readonly total: number;
}

/** Swap-aware, guarded and not, against naive: on the plans as streams, and on the same plans submitted at once. */
export interface VersusNaiveReport {
  readonly guarded: VersusNaive;
  readonly unguarded: VersusNaive;
  /** Every task submitted at 0: the guard sees the whole plan at its one guard point. */
  readonly atOnce: VersusNaive;
}

/** Both policies on `count` random plans of up to `maxTasks` tasks, drawn with `seed`. */
export function versusNaive(profile: RigProfile, seed: number, count: number, maxTasks = 60): VersusNaiveReport {
  const arb = fc.array(randomTaskArb(profile), { minLength: 1, maxLength: maxTasks });
  const tally = { guarded: new Tally(), unguarded: new Tally(), atOnce: new Tally() };
  for (const tasks of fc.sample(arb, { numRuns: count, seed })) {
    const specs = randomSpecs(tasks, profile);
    const naive = makespan(specs, profile, 'naive');
    tally.guarded.add(naive, makespan(specs, profile, 'swap-aware'));
    tally.unguarded.add(naive, makespan(specs, profile, 'swap-aware', false));
    const atOnce = specs.map((spec) => ({ ...spec, submitAtS: 0 }));
    tally.atOnce.add(makespan(atOnce, profile, 'naive'), makespan(atOnce, profile, 'swap-aware'));
  }
  return { guarded: tally.guarded.result(), unguarded: tally.unguarded.result(), atOnce: tally.atOnce.result() };
}

function makespan(specs: readonly SimTaskSpec[], profile: RigProfile, policy: PolicyName, guard = true): number {
  return runScenario(specs, profile, policy, { guard }).metrics.makespan_s;
}

class Tally {
  #plans = 0;
  #slower = 0;
  #worst = 1;
  #naive = 0;
  #swap = 0;

  add(naive: number, swap: number): void {
    this.#plans += 1;
    this.#naive += naive;
    this.#swap += swap;
    if (swap > naive + 1e-6) {
      this.#slower += 1;
      this.#worst = Math.max(this.#worst, swap / naive);
    }
  }

  result(): VersusNaive {
    return { plans: this.#plans, slower: this.#slower, worst: this.#worst, total: this.#naive / this.#swap };
  }
}
