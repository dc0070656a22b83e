import type { ReadyEntryRef } from './sorted-bucket.js';
import type { SchedTask } from './types.js';

/** An entry with the position it is queued in: plan order, or the order of a list a policy was given. */
interface Queued {
  readonly entry: ReadyEntryRef;
  readonly order: number;
}

/** A min-heap by queue position, with lazy deletion. */
class Heap {
  readonly items: Queued[] = [];

  push(item: Queued): void {
    const { items } = this;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as Queued).order <= item.order) break;
      items[i] = items[parent] as Queued;
      i = parent;
    }
    items[i] = item;
  }

  pop(): Queued | undefined {
    const { items } = this;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child =
        right < items.length && (items[right] as Queued).order < (items[left] as Queued).order ? right : left;
      if ((items[child] as Queued).order >= last.order) break;
      items[i] = items[child] as Queued;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * The live brain's queue order for the naive policy: per executor, class and priority, first in, first out, where
 * "in" is plan order (the seed rebuilt its queue from the ready list, in plan order, at every pick). A decision may
 * hide the tasks it has already taken; `unhide` puts them back afterwards.
 */
export class SeqQueues {
  readonly #heaps = new Map<string, Heap>();
  readonly #hidden: { readonly item: Queued; readonly heap: Heap }[] = [];

  constructor(private readonly isLive: (entry: ReadyEntryRef) => boolean) {}

  /** Queue an entry at position `order`. */
  insert(entry: ReadyEntryRef, order = entry.task.seq): void {
    const { task } = entry;
    const key = `${task.executor}|${task.taskClass}|${task.priority}`;
    let heap = this.#heaps.get(key);
    if (heap === undefined) {
      heap = new Heap();
      this.#heaps.set(key, heap);
    }
    heap.push({ entry, order });
  }

  /** The first live, unhidden task of one queue. */
  head(executor: string, taskClass: string, priority: number, hidden: ReadonlySet<string>): SchedTask | undefined {
    const heap = this.#heaps.get(`${executor}|${taskClass}|${priority}`);
    if (heap === undefined) return undefined;
    for (let top = heap.items[0]; top !== undefined; top = heap.items[0]) {
      if (!this.isLive(top.entry)) heap.pop();
      else if (hidden.has(top.entry.task.id)) {
        this.#hidden.push({ item: heap.pop() as Queued, heap });
      } else return top.entry.task;
    }
    return undefined;
  }

  /** Put back what `head` set aside for hidden tasks. */
  unhide(): void {
    for (const { item, heap } of this.#hidden.splice(0)) heap.push(item);
  }
}
