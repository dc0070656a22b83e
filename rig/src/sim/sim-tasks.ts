import type { ResolvedTask } from '../plan/resolve-plan.js';
import { DEFAULT_LLM_MODEL, taskNeed } from '../scheduler/rig-spec.js';
import type { RigSpec, SchedTask, UpcomingTask } from '../scheduler/types.js';
import { estimateReadyTimes, type DagNode, type ModelServers } from '../scheduler/upcoming.js';
import type { RigTimings } from './rig-timings.js';

/** A task to simulate: a resolved plan task with a scenario-wide id, its dependencies' ids and its submission time. */
export interface SimTaskSpec {
  readonly id: string;
  readonly deps: readonly string[];
  readonly task: ResolvedTask;
  readonly submitAtS: number;
}

/** A task's life in the simulation. */
export interface SimTaskState {
  readonly spec: SimTaskSpec;
  readonly sched: Omit<SchedTask, 'readyAtS'>;
  readonly dependents: string[];
  state: 'unsubmitted' | 'blocked' | 'ready' | 'running' | 'done';
  waitingOn: number;
  readyAtS: number | null;
  startS: number | null;
  endS: number | null;
}

/** Build each task's record; the order given (dependencies first) is kept. */
export function buildTaskStates(
  specs: readonly SimTaskSpec[],
  rig: RigSpec,
  timings: RigTimings,
  defaultLlm = DEFAULT_LLM_MODEL,
): Map<string, SimTaskState> {
  const states = new Map<string, SimTaskState>();
  specs.forEach((spec, seq) => {
    const need = taskNeed(spec.task, rig, defaultLlm);
    const model = need.kind === 'cpu' ? null : need.model;
    const taskClass =
      need.kind === 'cpu' ? 'cpu' : spec.task.task_class === 'llm' || spec.task.executor === 'brain' ? 'llm' : 'script';
    const gpu = need.kind === 'cpu' ? null : (rig.cards[0]?.gpu ?? 0);
    states.set(spec.id, {
      spec,
      sched: {
        id: spec.id,
        taskClass,
        executor: spec.task.executor,
        model,
        priority: spec.task.priority,
        seq,
        estimateS: timings.runS(gpu, model, spec.task),
        vramMb: model === null ? (spec.task.vram_mb ?? 0) : 0,
        tailS: 0,
      },
      dependents: [],
      state: 'unsubmitted',
      waitingOn: spec.deps.length,
      readyAtS: null,
      startS: null,
      endS: null,
    });
  });
  for (const state of states.values())
    for (const dep of state.spec.deps) states.get(dep)?.dependents.push(state.spec.id);
  // Bottom levels, dependents first (the reverse of the dependencies-first order).
  const tails = new Map<string, number>();
  for (const state of [...states.values()].reverse()) {
    let tail = 0;
    for (const id of state.dependents) {
      const next = states.get(id);
      if (next !== undefined) tail = Math.max(tail, next.sched.estimateS + (tails.get(id) ?? 0));
    }
    tails.set(state.spec.id, tail);
    Object.assign(state, { sched: { ...state.sched, tailS: tail } });
  }
  return states;
}

/** The ready tasks, as a policy sees them. */
export function readyTasks(states: Iterable<SimTaskState>): SchedTask[] {
  const out: SchedTask[] = [];
  for (const task of states) if (task.state === 'ready') out.push({ ...task.sched, readyAtS: task.readyAtS ?? 0 });
  return out;
}

/** Blocked tasks with their expected ready time; brain tasks also weigh the work still ahead of them. */
export function upcomingTasks(
  states: ReadonlyMap<string, SimTaskState>,
  nowS: number,
  rig: RigSpec,
  runningEnd: ReadonlyMap<string, number>,
  servers?: ModelServers,
): UpcomingTask[] {
  const nodes: DagNode[] = [];
  for (const task of states.values()) {
    if (task.state === 'unsubmitted') continue;
    const width =
      task.sched.model === null ? (task.sched.taskClass === 'cpu' ? 0 : 1) : (rig.models[task.sched.model]?.gpus ?? 1);
    nodes.push({
      id: task.spec.id,
      deps: task.spec.deps,
      estimateS: task.sched.estimateS,
      state: task.state,
      endS: runningEnd.get(task.spec.id),
      contended: task.sched.executor === 'brain',
      gpuWorkS: task.sched.estimateS * width,
      model: task.sched.model,
    });
  }
  const etas = estimateReadyTimes(nodes, nowS, Math.max(1, rig.cards.length - (rig.brain?.gpus.length ?? 0)), servers);
  const out: UpcomingTask[] = [];
  for (const [id, etaS] of etas) {
    const task = states.get(id);
    if (task !== undefined) out.push({ ...task.sched, readyAtS: etaS, etaS });
  }
  return out;
}
