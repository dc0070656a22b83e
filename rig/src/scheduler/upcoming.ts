import { brainLeadS } from './brain-lending.js';
import type { CardView, RigSpec, SchedulerKnobs } from './types.js';

/** A task in the dependency graph as the estimate needs it. */
export interface DagNode {
  readonly id: string;
  readonly deps: readonly string[];
  readonly estimateS: number;
  readonly state: 'done' | 'running' | 'ready' | 'blocked';
  /** Expected end of a running task. */
  readonly endS?: number | undefined;
  /**
   * Whether the ready time should also account for the work still ahead of it (brain tasks: their cards are
   * reclaimed on it).
   */
  readonly contended?: boolean | undefined;
  /** Card-seconds the task occupies (estimate x cards; 0 for cpu). */
  readonly gpuWorkS: number;
  /** The model it runs (null or absent: none), to weigh work that only that model's cards can do. */
  readonly model?: string | null | undefined;
}

/**
 * Instances of the worker LLMs now: on worker cards, and on brain cards lent to workers, which serve only until they
 * must be freed `leadS` before the brain's task. A model listed in `workers` (even with 0) is one whose queue stays
 * on the cards holding it (an LLM loads in minutes); models not listed spread over any card (scripts load in seconds).
 */
export interface ModelServers {
  readonly workers: ReadonlyMap<string, number>;
  readonly lent: ReadonlyMap<string, number>;
  readonly leadS: number;
}

/**
 * Where each worker LLM (slow to load, one per card, so its queue stays on the cards holding it) runs now, split
 * into worker cards and brain cards lent to workers; for `estimateReadyTimes`.
 */
export function modelServersOf(cards: readonly CardView[], rig: RigSpec, knobs: SchedulerKnobs): ModelServers {
  const workers = new Map<string, number>();
  const lent = new Map<string, number>();
  for (const [model, spec] of Object.entries(rig.models))
    if (spec.kind === 'llm' && model !== rig.brain?.model) workers.set(model, 0);
  for (const card of cards) {
    const into = rig.brain?.gpus.includes(card.gpu) === true ? lent : workers;
    for (const model of card.models) if (workers.has(model)) into.set(model, (into.get(model) ?? 0) + 1);
  }
  return { workers, lent, leadS: brainLeadS(rig, knobs) };
}

/**
 * Seconds D until `work` of `model` is done by the instances holding it now, when the lent ones stop at the reclaim,
 * `leadS` before the contended task that comes `cpuS` after the work: work = workers x D + lent x (D + cpuS - leadS),
 * or work / workers if the worker cards alone finish before the lent ones would have to stop. 0 for unlisted models
 * and models nobody holds (the average over all cards covers them).
 */
export function modelDrain(work: number, model: string, servers: ModelServers, cpuS: number): number {
  const workers = servers.workers.get(model);
  if (workers === undefined) return 0;
  const lent = servers.lent.get(model) ?? 0;
  if (workers + lent === 0) return 0;
  const window = Math.max(0, servers.leadS - cpuS);
  if (workers > 0 && work <= workers * window) return work / workers;
  return (work + lent * window) / (workers + lent);
}

/**
 * When each blocked task should become ready: the latest finish of its dependencies, each assumed to start at once
 * (an optimistic path estimate). For `contended` tasks also at least now + the GPU work of their unfinished
 * ancestors spread over `cards`, because the queue, not the path, decides when a task at the end of a big batch
 * (the brain's summary) becomes ready, then the cpu-only chain right before it. `cards` should be the cards
 * doing that work (the brain's own are busy getting ready). With `servers`, also at least the time the instances of
 * each LLM now loaded need for that LLM's share of the work: an LLM's backlog does not spread over other cards, so on
 * a batch whose last stage waits for one model the average alone says the brain's task comes too soon. Nodes must
 * come dependencies first.
 */
export function estimateReadyTimes(
  nodes: readonly DagNode[],
  nowS: number,
  cards: number,
  servers?: ModelServers,
): Map<string, number> {
  const cpuTail = new Map<string, number>();
  const finish = new Map<string, number>();
  const eta = new Map<string, number>();
  const byId = new Map(nodes.map((node) => [node.id, node]));
  for (const node of nodes) {
    if (node.state === 'done') finish.set(node.id, nowS);
    else if (node.state === 'running') finish.set(node.id, Math.max(nowS, node.endS ?? nowS));
    else if (node.state === 'ready') finish.set(node.id, nowS + node.estimateS);
    else {
      let ready = nowS;
      for (const dep of node.deps) ready = Math.max(ready, finish.get(dep) ?? nowS);
      if (node.contended === true) {
        const { total, byModel } = ancestorWork(node, byId, nowS);
        const cpuS = tail(node, byId, cpuTail);
        let drain = total / Math.max(1, cards);
        if (servers !== undefined)
          for (const [model, work] of byModel) drain = Math.max(drain, modelDrain(work, model, servers, cpuS));
        ready = Math.max(ready, nowS + drain + cpuS);
      }
      eta.set(node.id, ready);
      finish.set(node.id, ready + node.estimateS);
    }
  }
  return eta;
}

/** The longest chain of cpu-only dependencies right before a task: it runs after the GPU work, not beside it. */
function tail(node: DagNode, byId: ReadonlyMap<string, DagNode>, memo: Map<string, number>): number {
  const known = memo.get(node.id);
  if (known !== undefined) return known;
  let longest = 0;
  for (const id of node.deps) {
    const dep = byId.get(id);
    if (dep !== undefined && dep.gpuWorkS === 0 && dep.state !== 'done')
      longest = Math.max(longest, dep.estimateS + tail(dep, byId, memo));
  }
  memo.set(node.id, longest);
  return longest;
}

function ancestorWork(
  node: DagNode,
  byId: ReadonlyMap<string, DagNode>,
  nowS: number,
): { total: number; byModel: Map<string, number> } {
  const seen = new Set<string>();
  const stack = [...node.deps];
  const byModel = new Map<string, number>();
  let work = 0;
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const dep = byId.get(id);
    if (dep === undefined || dep.state === 'done') continue;
    const width = dep.estimateS > 0 ? dep.gpuWorkS / dep.estimateS : 0;
    const own = dep.state === 'running' ? Math.max(0, (dep.endS ?? nowS) - nowS) * width : dep.gpuWorkS;
    work += own;
    if (dep.model !== undefined && dep.model !== null) byModel.set(dep.model, (byModel.get(dep.model) ?? 0) + own);
    stack.push(...dep.deps);
  }
  return { total: work, byModel };
}
