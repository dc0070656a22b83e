/** A task in the dependency graph as the estimate needs it. */
export interface DagNode {
  readonly id: string;
  readonly deps: readonly string[];
  readonly estimateS: number;
  readonly state: 'done' | 'running' | 'ready' | 'blocked';
  /** Expected end of a running task. */
  readonly endS?: number | undefined;
  /** Whether the ready time should also account for the work still ahead of it (brain tasks: their cards are reclaimed on it). */
  readonly contended?: boolean | undefined;
  /** Card-seconds the task occupies (estimate x cards; 0 for cpu). */
  readonly gpuWorkS: number;
}

/**
 * When each blocked task should become ready: the latest finish of its dependencies, each assumed to start at once
 * (an optimistic path estimate). For `contended` tasks also at least now + the GPU work of their unfinished
 * ancestors spread over `cards`, because the queue, not the path, decides when a task at the end of a big batch
 * (the brain's summary) becomes ready, then the cpu-only chain right before it. `cards` should be the cards
 * doing that work (the brain's own are busy getting ready). Nodes must come dependencies first.
 */
export function estimateReadyTimes(nodes: readonly DagNode[], nowS: number, cards: number): Map<string, number> {
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
      if (node.contended === true) ready = Math.max(ready, nowS + ancestorWork(node, byId, nowS) / Math.max(1, cards) + tail(node, byId, cpuTail));
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
    if (dep !== undefined && dep.gpuWorkS === 0 && dep.state !== 'done') longest = Math.max(longest, dep.estimateS + tail(dep, byId, memo));
  }
  memo.set(node.id, longest);
  return longest;
}

function ancestorWork(node: DagNode, byId: ReadonlyMap<string, DagNode>, nowS: number): number {
  const seen = new Set<string>();
  const stack = [...node.deps];
  let work = 0;
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const dep = byId.get(id);
    if (dep === undefined || dep.state === 'done') continue;
    const width = dep.estimateS > 0 ? dep.gpuWorkS / dep.estimateS : 0;
    work += dep.state === 'running' ? Math.max(0, (dep.endS ?? nowS) - nowS) * width : dep.gpuWorkS;
    stack.push(...dep.deps);
  }
  return work;
}
