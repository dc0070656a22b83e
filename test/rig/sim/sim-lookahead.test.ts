import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { DEFAULT_KNOBS } from '../../../rig/src/scheduler/types.js';
import { estimateReadyTimes, modelServersOf, type DagNode } from '../../../rig/src/scheduler/upcoming.js';
import { profileTimings } from '../../../rig/src/sim/rig-timings.js';
import { SimLookahead } from '../../../rig/src/sim/sim-lookahead.js';
import { buildTaskStates, type SimTaskState } from '../../../rig/src/sim/sim-tasks.js';
import { SEED_PROFILE, streamWorkload } from '../../helpers/sim-workload.js';

const rig = rigSpecFromProfile(SEED_PROFILE);
/** Cards holding worker LLMs (one lent brain card among them), so each model's drain weighs in. */
const SERVERS = modelServersOf(
  [
    { gpu: 0, vramMb: 6144, models: ['qwen2.5:7b'], groups: {}, busyUntilS: null, running: null },
    { gpu: 1, vramMb: 6144, models: ['qwen2.5:7b'], groups: {}, busyUntilS: null, running: null },
    { gpu: 2, vramMb: 6144, models: ['qwen2.5-vl:7b'], groups: {}, busyUntilS: null, running: null },
  ],
  rig,
  DEFAULT_KNOBS,
);
const STATES = ['unsubmitted', 'blocked', 'blocked', 'ready', 'running', 'done'] as const;

/** The look-ahead as the simulator computed it before: every submitted task a node, through estimateReadyTimes. */
function reference(tasks: ReadonlyMap<string, SimTaskState>, nowS: number, runningEnd: ReadonlyMap<string, number>) {
  const nodes: DagNode[] = [];
  for (const task of tasks.values()) {
    if (task.state === 'unsubmitted') continue;
    const { model, taskClass, estimateS, executor } = task.sched;
    const width = model === null ? (taskClass === 'cpu' ? 0 : 1) : (rig.models[model]?.gpus ?? 1);
    nodes.push({
      id: task.spec.id,
      deps: task.spec.deps,
      estimateS,
      state: task.state,
      endS: runningEnd.get(task.spec.id),
      contended: executor === 'brain',
      gpuWorkS: estimateS * width,
      model,
    });
  }
  return estimateReadyTimes(nodes, nowS, rig.cards.length - 2, SERVERS);
}

describe('SimLookahead: the simulator look-ahead without rebuilding the graph', () => {
  it('gives every task a policy weighs the ready time estimateReadyTimes gives it, over decisions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 400 })), { minLength: 1, maxLength: 4 }),
        (seed, rounds) => {
          const specs = streamWorkload({ seed, tasks: 60, gapS: 0 });
          const tasks = buildTaskStates(specs, rig, profileTimings(SEED_PROFILE));
          const lookahead = new SimLookahead(tasks, rig, DEFAULT_KNOBS);
          for (const [roll, nowS] of rounds) {
            const runningEnd = new Map<string, number>();
            let i = roll;
            for (const task of tasks.values()) {
              task.state = STATES[i++ % STATES.length] as SimTaskState['state'];
              if (task.state === 'running' && i % 3 !== 0) runningEnd.set(task.spec.id, nowS + (i % 50) - 10);
            }
            const active = [...tasks.values()].filter((t) => t.state !== 'unsubmitted' && t.state !== 'done');
            const mine = lookahead.upcoming(active, nowS, runningEnd, SERVERS);
            const expected = reference(tasks, nowS, runningEnd);
            for (const task of mine) expect(task.etaS).toBe(expected.get(task.id));
            const weighed = [...expected].filter(([id, etaS]) => {
              const sched = tasks.get(id)?.sched;
              if (sched === undefined) return false;
              if (sched.executor === 'brain') return true;
              return sched.taskClass !== 'cpu' && sched.model !== null && etaS - nowS <= DEFAULT_KNOBS.lookaheadS;
            });
            expect(mine.map((task) => task.id)).toEqual(weighed.map(([id]) => id));
          }
        },
      ),
      { numRuns: 200, seed: 1807 },
    );
  });
});
