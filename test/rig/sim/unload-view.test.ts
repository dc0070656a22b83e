import { RigProfileSchema, type PlanTask } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { POLICIES } from '../../../rig/src/scheduler/policies.js';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import type { Policy } from '../../../rig/src/scheduler/types.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';
import { simulate } from '../../../rig/src/sim/simulator.js';

/** Case 346 of the lower bound's property test (seed 18): two 1000 MB cards, a two-card W that loads in 0 s. */
const profile = RigProfileSchema.parse({
  name: 'tiny',
  gpus: [0, 1].map((index) => ({ index, name: 'card', vram_mb: 1000 })),
  cpu_slots: 2,
  models: {
    A: { kind: 'llm', gpus: 1, vram_mb_per_gpu: 600, load_s: 14 },
    B: { kind: 'llm', gpus: 1, vram_mb_per_gpu: 600, load_s: 19 },
    S: { kind: 'script', gpus: 1, vram_mb_per_gpu: 600, load_s: 3 },
    W: { kind: 'llm', gpus: 2, vram_mb_per_gpu: 600, load_s: 0 },
  },
  unload_s: 10,
  vram_headroom_mb: 0,
});

const tasks: readonly (readonly [PlanTask, readonly string[], number])[] = [
  [{ name: 't0', type: 'shell', task_class: 'cpu', command: 'true', estimate_s: 25 }, [], 0],
  [{ name: 't1', type: 'llm', task_class: 'llm', model: 'W', prompt: 'p', estimate_s: 26 }, ['t0'], 0],
  [{ name: 't2', type: 'shell', task_class: 'script', model: 'S', command: 'x', estimate_s: 20 }, ['t0', 't1'], 1],
  [{ name: 't3', type: 'llm', task_class: 'llm', model: 'B', prompt: 'p', estimate_s: 10 }, ['t1'], 24],
];

function specs(): SimTaskSpec[] {
  return tasks.map(([task, deps, atS]) => {
    const resolved = resolvePlan({ plan: task.name, tasks: [task] });
    if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
    const [only] = resolved.value.tasks;
    if (only === undefined) throw new Error('no task');
    return { id: task.name, deps: [...deps], task: only, submitAtS: atS };
  });
}

describe('a card unloading for a job, as the policy sees it', () => {
  it('shows the model the job loads, so swap-aware does not move cards back and forth forever', () => {
    // The policy saw card 0 still holding S while it unloaded to load B, so it moved card 1 to B as well, then one
    // of them back to S once both held B, and so on: the two-card W never found both cards free (the simulator's
    // step bound turns that livelock into a SimulationError).
    const run = runScenario(specs(), profile, 'swap-aware');
    expect(checkTrace(run.result.trace, run.checked, rigSpecFromProfile(profile))).toEqual([]);
    const loads = run.result.trace.filter((entry) => entry.kind === 'load');
    // S ahead on both cards, B ahead, W, then B and S for their tasks: not a card switching on every turn.
    expect(loads.length).toBeLessThanOrEqual(6);
  });
});

describe('a card busy with a job, as the policy sees it', () => {
  it('is busy until the job ends (load and run), not until its load ends', () => {
    const single = RigProfileSchema.parse({ ...profile, gpus: [{ index: 0, name: 'card', vram_mb: 1000 }] });
    const ask = (name: string, atS: number): SimTaskSpec => {
      const resolved = resolvePlan({
        plan: name,
        tasks: [{ name, type: 'llm', task_class: 'llm', model: 'A', prompt: 'p', estimate_s: 30 }],
      });
      if (!resolved.ok) throw new Error('plan');
      const [only] = resolved.value.tasks;
      if (only === undefined) throw new Error('no task');
      return { id: name, deps: [], task: only, submitAtS: atS };
    };
    const seen: (number | null)[] = [];
    const policy: Policy = (input) => {
      if (input.nowS === 5) seen.push(input.cards[0]?.busyUntilS ?? null);
      return POLICIES['swap-aware'](input);
    };
    // A loads in 14 s and the first task runs 30 s: at 5 s (the second arrives) the card is busy until 44 s.
    simulate([ask('first', 0), ask('second', 5)], { profile: single, policy });
    expect(seen).toEqual([44]);
  });
});
