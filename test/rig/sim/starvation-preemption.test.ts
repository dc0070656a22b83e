import { describe, expect, it } from 'vitest';
import type { PlanTask, RigProfile } from '@rigmind/protocol';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { POLICIES } from '../../../rig/src/scheduler/policies.js';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { SchedulerKnobsSchema } from '../../../rig/src/scheduler/types.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';
import { simulate } from '../../../rig/src/sim/simulator.js';

/** One card, no brain: every task competes for it. */
const oneCard: RigProfile = {
  name: 'one-card',
  gpus: [{ index: 0, name: 'GTX 1060 6GB', vram_mb: 6144 }],
  cpu_slots: 1,
  models: {
    'qwen2.5:7b': { kind: 'llm', gpus: 1, vram_mb_per_gpu: 5200, load_s: 105 },
    'whisper-small.en': { kind: 'script', gpus: 1, vram_mb_per_gpu: 1200, load_s: 4 },
  },
  unload_s: 7.5,
  vram_headroom_mb: 300,
};

function specs(submissions: { at: number; tasks: PlanTask[] }[]): SimTaskSpec[] {
  return submissions.flatMap(({ at, tasks }, i) => {
    const resolved = resolvePlan({ plan: `p${i}`, tasks });
    if (!resolved.ok) throw new Error(resolved.issues[0]?.message);
    return resolved.value.tasks.map((task) => ({
      id: `p${i}/${task.name}`,
      deps: task.depends_on.map((d) => `p${i}/${d}`),
      task,
      submitAtS: at,
    }));
  });
}

const llm = (name: string, priority: number, estimate_s: number): PlanTask => ({
  name,
  type: 'llm',
  task_class: 'llm',
  model: 'qwen2.5:7b',
  prompt: 'go',
  priority,
  estimate_s,
});

describe('bounded wait', () => {
  // A stream of high-priority 7B questions every 20 s for 1500 s, and one low-priority transcription at t=0.
  const stream = specs([
    {
      at: 0,
      tasks: [
        {
          name: 'transcribe',
          type: 'shell',
          task_class: 'script',
          model: 'whisper-small.en',
          command: 'x',
          priority: 2,
          estimate_s: 30,
        },
      ],
    },
    ...Array.from({ length: 75 }, (_, i) => ({ at: i * 20, tasks: [llm('q', 8, 20)] })),
  ]);
  const waitOf = (knobs: ReturnType<typeof SchedulerKnobsSchema.parse>): number => {
    const result = simulate(stream, { profile: oneCard, policy: POLICIES['swap-aware'], knobs });
    const task = result.tasks.find((t) => t.id === 'p0/transcribe');
    return (task?.startS ?? Infinity) - (task?.readyAtS ?? 0);
  };

  it('a low-priority task starts within its bound despite a stream of high-priority work', () => {
    const knobs = SchedulerKnobsSchema.parse({ maxWaitS: { low: 300 } });
    // The bound, plus one running task (20 s), plus freeing the card and loading whisper.
    expect(waitOf(knobs)).toBeLessThanOrEqual(300 + 20 + 7.5 + 4);
  });

  it('without the bound the same task starves until the stream ends (so the bound is what saves it)', () => {
    const knobs = SchedulerKnobsSchema.parse({ maxWaitS: { low: 1e9 } });
    expect(waitOf(knobs)).toBeGreaterThan(1400);
  });
});

describe('preemption in the simulator', () => {
  const profile = oneCard;
  const long = specs([
    { at: 0, tasks: [llm('report', 3, 900)] },
    { at: 200, tasks: [llm('incident', 10, 30)] },
  ]);

  it('an urgent task preempts long low-priority work: the victim is re-queued, counted, and completes', () => {
    const run = runScenario(long, profile, 'swap-aware');
    expect(run.metrics.preemptions).toBe(1);
    const cut = run.result.trace.filter((e) => e.kind === 'preempted');
    expect(cut).toEqual([
      { kind: 'preempted', name: 'p0/report', model: 'qwen2.5:7b', gpus: [0], start_s: 105, end_s: 200 },
    ]);
    const incident = run.result.tasks.find((t) => t.id === 'p1/incident');
    expect(incident?.startS).toBe(200);
    expect(checkTrace(run.result.trace, run.checked, rigSpecFromProfile(profile))).toEqual([]);
  });

  it('naive never preempts: the urgent task waits for the long one', () => {
    const run = runScenario(long, profile, 'naive');
    expect(run.metrics.preemptions).toBe(0);
    expect(run.result.tasks.find((t) => t.id === 'p1/incident')?.startS).toBe(105 + 900);
  });

  it('does not preempt work nearly done', () => {
    const late = specs([
      { at: 0, tasks: [llm('report', 3, 120)] },
      { at: 200, tasks: [llm('incident', 10, 30)] },
    ]);
    expect(runScenario(late, profile, 'swap-aware').metrics.preemptions).toBe(0);
  });
});
