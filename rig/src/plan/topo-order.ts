/** A stable topological order of task indexes, and the dependency cycles that stop one. */
export interface TopoResult {
  /** Every task not held back by a cycle, dependencies first; ties keep file order. */
  readonly order: number[];
  /** One cycle per tangle, as task indexes in run order: each waits for the one before, the first for the last. */
  readonly cycles: number[][];
}

/**
 * Order `count` tasks given each one's dependencies (`deps[i]`: indexes task i waits for, no self-edges).
 * Kahn's algorithm with a min-heap on the index, so a plan already written in order keeps its order:
 * O((V + E) log V), fine for 100,000 tasks.
 */
export function topoOrder(count: number, deps: readonly (readonly number[])[]): TopoResult {
  const indegree = new Int32Array(count);
  const outStart = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    const list = deps[i] ?? [];
    indegree[i] = list.length;
    for (const dep of list) outStart[dep + 1]! += 1;
  }
  for (let i = 0; i < count; i++) outStart[i + 1]! += outStart[i]!;
  // Dependents of each task, packed into one array (compressed sparse rows).
  const out = new Int32Array(outStart[count]!);
  const fill = outStart.slice(0, count);
  for (let i = 0; i < count; i++) for (const dep of deps[i] ?? []) out[fill[dep]!++] = i;

  const heap = new MinHeap(count);
  for (let i = 0; i < count; i++) if (indegree[i] === 0) heap.push(i);
  const order: number[] = [];
  while (heap.size > 0) {
    const next = heap.pop();
    order.push(next);
    for (let k = outStart[next]!; k < outStart[next + 1]!; k++) {
      const dependent = out[k]!;
      if (--indegree[dependent]! === 0) heap.push(dependent);
    }
  }
  const cycles = order.length === count ? [] : findCycles(count, outStart, out, indegree);
  return { order, cycles };
}

/** Tarjan's strongly connected components over the tasks Kahn could not place, one shortest cycle from each. */
function findCycles(count: number, outStart: Int32Array, out: Int32Array, indegree: Int32Array): number[][] {
  const stuck = (node: number): boolean => indegree[node]! > 0;
  const low = new Int32Array(count).fill(-1);
  const seen = new Int32Array(count).fill(-1);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  for (let root = 0; root < count; root++) {
    if (!stuck(root) || seen[root] !== -1) continue;
    // An explicit call stack of [node, next edge] keeps a 100,000-task chain from overflowing.
    const calls: [number, number][] = [[root, outStart[root]!]];
    seen[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (calls.length > 0) {
      const frame = calls[calls.length - 1]!;
      const [node, edge] = frame;
      if (edge < outStart[node + 1]!) {
        frame[1] = edge + 1;
        const next = out[edge]!;
        if (!stuck(next)) continue;
        if (seen[next] === -1) {
          seen[next] = low[next] = counter++;
          stack.push(next);
          onStack[next] = 1;
          calls.push([next, outStart[next]!]);
        } else if (onStack[next]) low[node] = Math.min(low[node]!, seen[next]!);
        continue;
      }
      calls.pop();
      const parent = calls[calls.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]]!, low[node]!);
      if (low[node] !== seen[node]) continue;
      const component: number[] = [];
      for (;;) {
        const member = stack.pop()!;
        onStack[member] = 0;
        component.push(member);
        if (member === node) break;
      }
      if (component.length > 1) cycles.push(shortestCycle(component, outStart, out));
    }
  }
  return cycles.sort((a, b) => a[0]! - b[0]!);
}

/** The shortest cycle through the component's first task, found breadth-first inside the component. */
function shortestCycle(component: readonly number[], outStart: Int32Array, out: Int32Array): number[] {
  const members = new Set(component);
  const start = Math.min(...component);
  const parent = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (let k = outStart[node]!; k < outStart[node + 1]!; k++) {
      const next = out[k]!;
      if (next === start) {
        const cycle = [node];
        for (let at = parent.get(node)!; at !== -1; at = parent.get(at)!) cycle.push(at);
        return cycle.reverse();
      }
      if (!members.has(next) || parent.has(next)) continue;
      parent.set(next, node);
      queue.push(next);
    }
  }
  return [start];
}

/** A binary min-heap of task indexes. */
class MinHeap {
  private readonly items: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(capacity, 1));
  }

  push(value: number): void {
    let at = this.size++;
    while (at > 0) {
      const up = (at - 1) >> 1;
      if (this.items[up]! <= value) break;
      this.items[at] = this.items[up]!;
      at = up;
    }
    this.items[at] = value;
  }

  pop(): number {
    const top = this.items[0]!;
    const last = this.items[--this.size]!;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.items[child + 1]! < this.items[child]!) child++;
      if (this.items[child]! >= last) break;
      this.items[at] = this.items[child]!;
      at = child;
    }
    this.items[at] = last;
    return top;
  }
}
