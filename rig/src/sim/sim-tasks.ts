import type { ResolvedTask } from '../plan/resolve-plan.js';
import { DEFAULT_LLM_MODEL, taskNeed } from '../scheduler/rig-spec.js';
import type { RigSpec, SchedTask } from '../scheduler/types.js';
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

/** The submitted tasks not yet done, in plan order (dependencies first), as the look-ahead walks them. */
export class ActiveTasks {
  #tasks: SimTaskState[] = [];

  /** A task was submitted. */
  add(task: SimTaskState): void {
    const seq = task.sched.seq;
    const last = this.#tasks[this.#tasks.length - 1];
    if (last === undefined || last.sched.seq < seq) {
      this.#tasks.push(task);
      return;
    }
    let lo = 0;
    let hi = this.#tasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#tasks[mid] as SimTaskState).sched.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    this.#tasks.splice(lo, 0, task);
  }

  /** The tasks not yet done (finished ones are dropped here). */
  list(): readonly SimTaskState[] {
    this.#tasks = this.#tasks.filter((task) => task.state !== 'done');
    return this.#tasks;
  }
}
