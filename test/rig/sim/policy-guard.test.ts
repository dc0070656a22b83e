import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanTask } from '@rigmind/protocol';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { simulateGuarded } from '../../../rig/src/sim/policy-guard.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';
import { simulate } from '../../../rig/src/sim/simulator.js';
import { POLICIES } from '../../../rig/src/scheduler/policies.js';
import { renderSummary } from '../../../rig/src/sim/summary-table.js';
import { randomSpecs, randomTaskArb } from '../../../bench/sim/random-plans.js';
import { SEED_PROFILE } from '../../helpers/sim-workload.js';

function specsOf(tasks: readonly (PlanTask & { at?: number })[]): SimTaskSpec[] {
  const resolved = resolvePlan({ plan: 'p', tasks: tasks.map(({ at: _, ...task }) => task) });
  if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
  const at = new Map(tasks.map((task) => [task.name, task.at ?? 0]));
  return resolved.value.tasks.map((task) => ({
    id: task.name,
    deps: task.depends_on,
    task,
    submitAtS: at.get(task.name) ?? 0,
  }));
}

const ask = (name: string, estimate_s: number, extra: Partial<PlanTask> & { at?: number } = {}) =>
  ({ name, type: 'llm', task_class: 'llm', prompt: 'answer', estimate_s, ...extra }) as PlanTask & { at?: number };
const script = (name: string, estimate_s: number, model: string, extra: Partial<PlanTask> = {}) =>
  ({ name, type: 'shell', task_class: 'script', command: 'python x.py', model, estimate_s, ...extra }) as PlanTask;

/** The longest ready-to-start wait of the urgent (priority 9-10) tasks. */
const urgentWait = (tasks: readonly { priority: number; readyAtS: number; startS: number }[]): number =>
  Math.max(0, ...tasks.filter((t) => t.priority >= 9).map((t) => t.startS - t.readyAtS));

describe('the guard: swap-aware checked against naive by simulation', () => {
  it('hands a plan to naive when naive finishes it sooner', () => {
    // Two 7B questions on an empty rig. Swap-aware loads the 7B once and runs them back to back (its drain counts
    // work, not the instance's own busy time); naive loads it on two cards at once.
    const specs = specsOf([ask('a', 85, { priority: 2 }), ask('b', 95, { priority: 5 })]);
    const unguarded = runScenario(specs, SEED_PROFILE, 'swap-aware', { guard: false });
    const naive = runScenario(specs, SEED_PROFILE, 'naive');
    const guarded = runScenario(specs, SEED_PROFILE, 'swap-aware');
    expect(unguarded.metrics.makespan_s).toBe(285);
    expect(naive.metrics.makespan_s).toBe(200);
    expect(guarded.metrics.makespan_s).toBe(200);
    expect(guarded.metrics.guard).toEqual([{ at_s: 0, policy: 'naive', swap_aware_s: 285, naive_s: 200 }]);
    expect(renderSummary(guarded.metrics, { scenario: 'p', rig: 'seed', tasks: 2 })).toContain(
      'guard         naive from 0 s (forecast: naive 200 s, swap-aware 285 s)',
    );
  });

  it('keeps swap-aware when naive would buy its shorter makespan with an urgent task waiting longer', () => {
    // Found among small random plans: naive ends 7.5 s sooner, but the urgent OCR waits behind the 14B's load.
    const specs = specsOf([
      script('t0', 149, 'all-mpnet-base-v2', { priority: 8 }),
      script('t1', 17, 'easyocr', { priority: 10, depends_on: ['t0'] }),
      ask('t2', 152, { model: 'qwen2.5:14b', priority: 1, depends_on: ['t0'] }),
    ]);
    const naive = runScenario(specs, SEED_PROFILE, 'naive');
    const guarded = runScenario(specs, SEED_PROFILE, 'swap-aware');
    const [choice] = guarded.metrics.guard;
    expect(choice?.policy).toBe('swap-aware');
    expect(choice?.naive_s).toBeLessThan(choice?.swap_aware_s ?? 0);
    expect(urgentWait(naive.result.tasks)).toBeGreaterThan(urgentWait(guarded.result.tasks) + 10);
  });

  it('on a plan submitted at once, is never slower than naive unless naive keeps urgent work waiting longer', () => {
    fc.assert(
      fc.property(fc.array(randomTaskArb(SEED_PROFILE), { minLength: 1, maxLength: 25 }), (tasks) => {
        const specs = randomSpecs(tasks, SEED_PROFILE).map((spec) => ({ ...spec, submitAtS: 0 }));
        const naive = runScenario(specs, SEED_PROFILE, 'naive').result;
        const guarded = runScenario(specs, SEED_PROFILE, 'swap-aware').result;
        const urgentBought = urgentWait(naive.tasks) > urgentWait(guarded.tasks) + 10;
        expect(guarded.makespanS <= naive.makespanS + 1e-9 || urgentBought).toBe(true);
      }),
      { numRuns: 80, seed: 20261206 },
    );
  });

  it('guards each moment work is submitted, forecasting only what is known then', () => {
    // `late` waits on `later`, which nobody knows of at 0 s: the forecast at 0 s leaves it out rather than stall.
    const specs = specsOf([
      ask('first', 60),
      ask('late', 30, { depends_on: ['later'] }),
      ask('later', 30, { at: 100 }),
      ask('last', 30, { at: 200 }),
    ]);
    const run = simulateGuarded(specs, { profile: SEED_PROFILE });
    expect(run.choices.map((choice) => choice.atS)).toEqual([0, 100, 200]);
    expect(run.unguardedPoints).toBe(0);
    expect(run.tasks.every((task) => task.endS > 0)).toBe(true);
  });

  it('stops guarding when its budget is spent, and then swap-aware drives as it would unguarded', () => {
    const specs = specsOf([ask('a', 85, { priority: 2 }), ask('b', 95, { priority: 5, at: 10 })]);
    const run = simulateGuarded(specs, { profile: SEED_PROFILE }, 0);
    expect(run.choices).toEqual([]);
    expect(run.unguardedPoints).toBe(2);
    expect(run.trace).toEqual(simulate(specs, { profile: SEED_PROFILE, policy: POLICIES['swap-aware'] }).trace);
  });
});
