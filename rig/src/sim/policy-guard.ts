import { naivePolicy } from '../scheduler/naive-policy.js';
import { swapAwarePolicy } from '../scheduler/swap-aware-policy.js';
import { DEFAULT_KNOBS, type Policy } from '../scheduler/types.js';
import type { SimTaskSpec } from './sim-tasks.js';
import { simulate, type SimResult, type SimulateOptions } from './simulator.js';

/** Which policy drives the rig from a guard point on, and the two forecasts it was chosen by. */
export interface GuardChoice {
  readonly atS: number;
  readonly policy: 'swap-aware' | 'naive';
  /** Makespan of the work known at `atS` if swap-aware drives from here (the choices before stay as they were). */
  readonly swapAwareS: number;
  /** The same under naive. */
  readonly naiveS: number;
}

/** A guarded run: the simulation, and one choice per guard point the budget allowed. */
export interface GuardedResult extends SimResult {
  readonly choices: readonly GuardChoice[];
  /** Guard points passed over because the budget was spent (the last choice stood). */
  readonly unguardedPoints: number;
}

/**
 * Task-simulations the guard may spend on one run: each guard point costs two simulations of the work known there,
 * so a plan of up to 5,000 tasks is guarded when submitted. Past the budget the last choice stands: the guard must
 * stay cheap beside the run it guards, and a 10k-task plan or stream is not guarded at all.
 */
export const GUARD_BUDGET_TASKS = 10_000;

/**
 * Swap-aware, guarded by the simulator's own cost model. At every moment work is submitted (the guard points), the
 * work known so far is simulated from the start twice: with swap-aware driving from that moment on, and with naive;
 * whichever finishes sooner drives until the next guard point. Swap-aware keeps driving on a tie, and when naive
 * would keep an urgent task not yet started waiting more than 10 s longer: makespan is not bought with urgent waits.
 * The simulator is deterministic, so the run up to the guard point is the one that happened. A plan submitted at
 * once is thus never slower than naive in simulation unless naive is slower for its urgent tasks; a stream can be,
 * when work submitted later turns out to favour the policy not chosen.
 */
export function simulateGuarded(
  specs: readonly SimTaskSpec[],
  options: Omit<SimulateOptions, 'policy'>,
  budgetTasks = GUARD_BUDGET_TASKS,
): GuardedResult {
  const bySubmission = [...specs].sort((a, b) => a.submitAtS - b.submitAtS);
  const urgent = (options.knobs ?? DEFAULT_KNOBS).urgentPriority;
  const steps: { fromS: number; policy: Policy }[] = [];
  const choices: GuardChoice[] = [];
  let spent = 0;
  let unguardedPoints = 0;
  let known = 0;
  for (const atS of new Set(bySubmission.map((spec) => spec.submitAtS))) {
    while (known < bySubmission.length && (bySubmission[known]?.submitAtS ?? Infinity) <= atS) known += 1;
    if (spent + 2 * known > budgetTasks) {
      unguardedPoints += 1;
      continue;
    }
    spent += 2 * known;
    const sofar = withKnownDeps(bySubmission.slice(0, known));
    const forecast = (policy: Policy): Forecast =>
      outcome(simulate(sofar, { ...options, policy: scheduled([...steps, { fromS: atS, policy }]) }), atS, urgent);
    const swapAware = forecast(swapAwarePolicy);
    const naive = forecast(naivePolicy);
    const policy =
      naive.makespanS < swapAware.makespanS - EPSILON_S && naive.urgentWaitS <= swapAware.urgentWaitS + URGENT_SLACK_S
        ? 'naive'
        : 'swap-aware';
    choices.push({ atS, policy, swapAwareS: swapAware.makespanS, naiveS: naive.makespanS });
    steps.push({ fromS: atS, policy: policy === 'naive' ? naivePolicy : swapAwarePolicy });
  }
  const result = simulate(specs, { ...options, policy: scheduled(steps) });
  return { ...result, choices, unguardedPoints };
}

const EPSILON_S = 1e-9;
/** How much longer naive may keep an urgent task waiting and still drive: the urgent measure, 10 s. */
const URGENT_SLACK_S = 10;

/**
 * The submitted tasks whose dependencies are all submitted too, transitively. A task waiting on one not yet submitted
 * has an unknown future (a forecast would stall on it), so the forecast leaves it out.
 */
function withKnownDeps(submitted: readonly SimTaskSpec[]): SimTaskSpec[] {
  // Kahn's walk: a task is reached once every dependency is; one not submitted is never reached, nor is a cycle.
  const waiting = new Map(submitted.map((spec) => [spec.id, new Set(spec.deps).size]));
  const dependents = new Map<string, string[]>();
  for (const spec of submitted)
    for (const dep of new Set(spec.deps)) {
      const list = dependents.get(dep) ?? [];
      list.push(spec.id);
      dependents.set(dep, list);
    }
  const reached = new Set<string>();
  const queue = submitted.filter((spec) => waiting.get(spec.id) === 0).map((spec) => spec.id);
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    reached.add(id);
    for (const next of dependents.get(id) ?? []) {
      const left = (waiting.get(next) ?? 0) - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  return submitted.filter((spec) => reached.has(spec.id));
}

/** What a forecast is judged by. */
interface Forecast {
  readonly makespanS: number;
  /** The longest wait, ready to start, of an urgent task that had not started by the guard point. */
  readonly urgentWaitS: number;
}

function outcome(result: SimResult, atS: number, urgentPriority: number): Forecast {
  let urgentWaitS = 0;
  for (const task of result.tasks)
    if (task.priority >= urgentPriority && task.startS >= atS)
      urgentWaitS = Math.max(urgentWaitS, task.startS - task.readyAtS);
  return { makespanS: result.makespanS, urgentWaitS };
}

/** A policy that hands each decision to the step in force at its moment (swap-aware before the first). */
function scheduled(steps: readonly { readonly fromS: number; readonly policy: Policy }[]): Policy {
  // The simulator asks in time order, so the step in force only moves forward.
  let at = -1;
  return (input) => {
    while (at + 1 < steps.length && (steps[at + 1]?.fromS ?? Infinity) <= input.nowS) at += 1;
    return (steps[at]?.policy ?? swapAwarePolicy)(input);
  };
}
