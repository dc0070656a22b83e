import type { ResolvedTask } from '../plan/resolve-plan.js';
import { DEFAULT_LLM_MODEL, taskNeed } from '../scheduler/rig-spec.js';
import type { RigSpec, SchedTask } from '../scheduler/types.js';
import { EventQueue } from './event-queue.js';
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

/**
 * Build each task's record, in a canonical dependencies-first order (`seq`, the policies' last tie-break): of the
 * tasks whose dependencies are all placed, the one submitted first, then the smallest id, goes next. The order the
 * tasks are listed in plays no part, so the same DAG listed in any order is simulated alike; tails and the
 * look-ahead rely on dependencies coming first.
 */
export function buildTaskStates(
  specs: readonly SimTaskSpec[],
  rig: RigSpec,
  timings: RigTimings,
  defaultLlm = DEFAULT_LLM_MODEL,
): Map<string, SimTaskState> {
  const states = new Map<string, SimTaskState>();
  dependenciesFirst(specs).forEach((spec, seq) => {
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

/** Kahn's order, taking the ready task first in (submission, id) each time; tasks on a cycle come last, as listed. */
function dependenciesFirst(listed: readonly SimTaskSpec[]): SimTaskSpec[] {
  const specs = [...listed].sort((a, b) => a.submitAtS - b.submitAtS || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const position = new Map(specs.map((spec, i) => [spec.id, i]));
  const waiting = specs.map((spec) => spec.deps.filter((dep) => position.has(dep)).length);
  const dependents = specs.map((): number[] => []);
  specs.forEach((spec, i) => {
    for (const dep of spec.deps) {
      const at = position.get(dep);
      if (at !== undefined) dependents[at]?.push(i);
    }
  });
  const out: SimTaskSpec[] = [];
  const placed = new Set<number>();
  const heap = new EventQueue();
  const place = (i: number): void => {
    placed.add(i);
    const spec = specs[i];
    if (spec !== undefined) out.push(spec);
    for (const next of dependents[i] ?? []) {
      waiting[next] = (waiting[next] ?? 0) - 1;
      if (waiting[next] === 0) heap.push(next, () => place(next));
    }
  };
  specs.forEach((_, i) => {
    if (waiting[i] === 0) heap.push(i, () => place(i));
  });
  while (heap.size > 0) heap.pop()?.run();
  specs.forEach((_, i) => {
    if (!placed.has(i)) place(i);
  });
  return out;
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
