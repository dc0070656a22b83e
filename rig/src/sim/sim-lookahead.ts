import type { RigSpec, SchedulerKnobs, UpcomingTask } from '../scheduler/types.js';
import { modelDrain, type ModelServers } from '../scheduler/upcoming.js';
import type { SimTaskState } from './sim-tasks.js';

/** What the look-ahead keeps per task between decisions: its dependencies resolved, and one decision's scratch. */
interface Node {
  readonly task: SimTaskState;
  readonly deps: readonly Node[];
  /** Cards it occupies: 0 for cpu work, 1 for a script with no model, else its model's. */
  readonly width: number;
  /** The decision whose values below are current. */
  stamp: number;
  finishS: number;
  tailStamp: number;
  tailS: number;
  /** The ancestor walk that last saw it (a walk per brain task per decision). */
  seen: number;
}

/**
 * The simulator's view ahead: when each blocked task should become ready, as {@link estimateReadyTimes} computes it
 * (the same arithmetic, in the same order, so the same numbers), over the submitted tasks not yet done only and
 * without rebuilding the graph each decision. Only the upcoming tasks a policy weighs are returned: worker GPU work
 * due within the lookahead, and every brain task.
 */
export class SimLookahead {
  readonly #nodes = new Map<SimTaskState, Node>();
  #stamp = 0;
  #walk = 0;

  constructor(
    tasks: ReadonlyMap<string, SimTaskState>,
    private readonly rig: RigSpec,
    private readonly knobs: SchedulerKnobs,
  ) {
    for (const task of tasks.values()) this.#node(task, tasks);
  }

  /** The upcoming tasks at `nowS`; `active` are the submitted tasks not yet done, dependencies first. */
  upcoming(
    active: readonly SimTaskState[],
    nowS: number,
    runningEnd: ReadonlyMap<string, number>,
    servers: ModelServers | undefined,
  ): UpcomingTask[] {
    const stamp = ++this.#stamp;
    const cards = Math.max(1, this.rig.cards.length - (this.rig.brain?.gpus.length ?? 0));
    const out: UpcomingTask[] = [];
    for (const task of active) {
      const node = this.#nodes.get(task) as Node;
      node.stamp = stamp;
      if (task.state === 'running') node.finishS = Math.max(nowS, runningEnd.get(task.spec.id) ?? nowS);
      else if (task.state === 'ready') node.finishS = nowS + task.sched.estimateS;
      else if (task.state === 'blocked') {
        let ready = nowS;
        // A dependency done (or not yet submitted) counts as finishing now, which `ready` already is.
        for (const dep of node.deps) if (dep.stamp === stamp) ready = Math.max(ready, dep.finishS);
        if (task.sched.executor === 'brain') ready = this.#contended(node, ready, nowS, cards, runningEnd, servers);
        node.finishS = ready + task.sched.estimateS;
        const { sched } = task;
        const weighed =
          sched.executor === 'brain' ||
          (sched.taskClass !== 'cpu' && sched.model !== null && ready - nowS <= this.knobs.lookaheadS);
        if (weighed) out.push({ ...sched, readyAtS: ready, etaS: ready });
      }
    }
    return out;
  }

  /** A brain task's ready time also waits for the GPU work still ahead of it (see estimateReadyTimes). */
  #contended(
    node: Node,
    ready: number,
    nowS: number,
    cards: number,
    runningEnd: ReadonlyMap<string, number>,
    servers: ModelServers | undefined,
  ): number {
    const stamp = this.#stamp;
    const walk = ++this.#walk;
    const stack = node.deps.slice();
    const byModel = new Map<string, number>();
    let total = 0;
    while (stack.length > 0) {
      const dep = stack.pop() as Node;
      if (dep.seen === walk) continue;
      dep.seen = walk;
      if (dep.stamp !== stamp) continue;
      const { task } = dep;
      const gpuWorkS = task.sched.estimateS * dep.width;
      const width = task.sched.estimateS > 0 ? gpuWorkS / task.sched.estimateS : 0;
      const own =
        task.state === 'running' ? Math.max(0, (runningEnd.get(task.spec.id) ?? nowS) - nowS) * width : gpuWorkS;
      total += own;
      const model = task.sched.model;
      if (model !== null) byModel.set(model, (byModel.get(model) ?? 0) + own);
      for (const next of dep.deps) stack.push(next);
    }
    const cpuS = this.#tail(node);
    let drain = total / Math.max(1, cards);
    if (servers !== undefined)
      for (const [model, work] of byModel) drain = Math.max(drain, modelDrain(work, model, servers, cpuS));
    return Math.max(ready, nowS + drain + cpuS);
  }

  /** The longest chain of cpu-only (no GPU work) unfinished dependencies right before a task. */
  #tail(node: Node): number {
    if (node.tailStamp === this.#stamp) return node.tailS;
    let longest = 0;
    for (const dep of node.deps) {
      if (dep.stamp !== this.#stamp || dep.task.sched.estimateS * dep.width !== 0) continue;
      longest = Math.max(longest, dep.task.sched.estimateS + this.#tail(dep));
    }
    node.tailStamp = this.#stamp;
    node.tailS = longest;
    return longest;
  }

  #node(task: SimTaskState, tasks: ReadonlyMap<string, SimTaskState>): Node {
    const known = this.#nodes.get(task);
    if (known !== undefined) return known;
    const deps: Node[] = [];
    for (const id of task.spec.deps) {
      const dep = tasks.get(id);
      if (dep !== undefined) deps.push(this.#node(dep, tasks));
    }
    const { model, taskClass } = task.sched;
    const width = model === null ? (taskClass === 'cpu' ? 0 : 1) : (this.rig.models[model]?.gpus ?? 1);
    const node: Node = { task, deps, width, stamp: 0, finishS: 0, tailStamp: 0, tailS: 0, seen: 0 };
    this.#nodes.set(task, node);
    return node;
  }
}
