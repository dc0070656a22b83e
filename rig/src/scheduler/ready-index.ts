import { SeqQueues } from './seq-queues.js';
import { SortedBucket, type ReadyEntryRef } from './sorted-bucket.js';
import type { SchedTask } from './types.js';

/** Where a ready task is kept: by executor, cpu work apart from GPU work. */
export type Lane = 'worker' | 'brain' | 'worker-cpu' | 'brain-cpu';

/** The lane of a task. */
export function laneOf(task: SchedTask): Lane {
  return task.taskClass === 'cpu' ? `${task.executor}-cpu` : task.executor;
}

/**
 * A sum that adding and taking away values leaves exact to twice the float precision (two-sum compensation), so a
 * long run of additions and removals does not drift, and an empty sum is exactly 0.
 */
export class ExactSum {
  hi = 0;
  lo = 0;

  /** Add `x` (negative to take away). */
  add(x: number): void {
    const s = this.hi + x;
    const b = s - this.hi;
    const err = this.hi - (s - b) + (x - b);
    const lo = this.lo + err;
    this.hi = s + lo;
    this.lo = lo - (this.hi - s);
  }

  /** The sum. */
  get value(): number {
    return this.hi + this.lo;
  }
}

/** What the swap-aware policy weighs per model: its ready tasks' count, weighted work, plain work and tails. */
export class ModelBook {
  count = 0;
  /** Sum of estimate x priority / 5 (the policy's weighted demand). */
  readonly weighted = new ExactSum();
  /** Sum of estimates (the lending backlog). */
  readonly work = new ExactSum();
  /**
   * How many ready tasks have each tail, and the distinct tails longest first: the longest tail among those not
   * placed.
   */
  readonly tailCount = new Map<number, number>();
  readonly tails: number[] = [];
  /** The model's buckets, by priority (1..10). */
  readonly buckets = new Map<number, SortedBucket>();

  constructor(
    readonly lane: Lane,
    readonly model: string | null,
  ) {}
}

/** A task's weight in the policy's demand: priority 5 counts its estimate once. */
export function weightOf(task: SchedTask): number {
  // A task estimated at 0 s still needs its model on a card: with no weight its model had no demand, so no card
  // loaded it until the task was overdue (900 s for priority 4), holding back all the work after it.
  return Math.max(task.estimateS, MIN_WEIGHT_S) * (task.priority / 5);
}

/** The least seconds a task weighs in demand, whatever its estimate. */
export const MIN_WEIGHT_S = 1;

/**
 * The ready tasks, kept in step as tasks become ready and leave, in the structures both policies read: for the
 * swap-aware policy, buckets per lane, model and priority in its order, with per-model sums; for the naive policy,
 * the live brain's queue order (per executor, class and priority, first in plan order). Adding or removing a task
 * costs O(log n) amortised; a decision then reads bucket heads and sums instead of sorting every ready task.
 */
export class ReadyIndex {
  readonly #live = new Map<string, ReadyEntryRef>();
  readonly #books = new Map<string, ModelBook>();
  readonly #lanes = new Map<Lane, ModelBook[]>();
  /** The naive policy's queues. */
  readonly seq = new SeqQueues((entry) => this.isLive(entry));

  /** An index of `tasks` (a policy given a plain list builds one per decision). */
  static of(tasks: Iterable<SchedTask>): ReadyIndex {
    const index = new ReadyIndex();
    let order = 0;
    for (const task of tasks) index.add(task, order++);
    return index;
  }

  /** Number of ready tasks. */
  get size(): number {
    return this.#live.size;
  }

  /** A ready task by id. */
  get(id: string): SchedTask | undefined {
    return this.#live.get(id)?.task;
  }

  /** Every ready task, in no particular order. */
  *tasks(): IterableIterator<SchedTask> {
    for (const entry of this.#live.values()) yield entry.task;
  }

  /** Whether `entry` is still the index's entry for its task. */
  isLive(entry: ReadyEntryRef): boolean {
    return this.#live.get(entry.task.id) === entry;
  }

  /** Add a ready task (replacing an older entry for the same id); `order` is its place in the naive queues. */
  add(task: SchedTask, order = task.seq): void {
    this.remove(task.id);
    const entry: ReadyEntryRef = { task };
    this.#live.set(task.id, entry);
    const book = this.#book(laneOf(task), task.model);
    book.count += 1;
    book.weighted.add(weightOf(task));
    book.work.add(task.estimateS);
    const had = book.tailCount.get(task.tailS) ?? 0;
    book.tailCount.set(task.tailS, had + 1);
    if (had === 0) book.tails.splice(firstNotLonger(book.tails, task.tailS), 0, task.tailS);
    let bucket = book.buckets.get(task.priority);
    if (bucket === undefined) {
      bucket = new SortedBucket(book.lane, task.model, task.priority);
      book.buckets.set(task.priority, bucket);
    }
    bucket.insert(entry);
    this.seq.insert(entry, order);
  }

  /** Remove a task (started, canceled); unknown ids are ignored. */
  remove(id: string): void {
    const entry = this.#live.get(id);
    if (entry === undefined) return;
    this.#live.delete(id);
    const { task } = entry;
    const book = this.#book(laneOf(task), task.model);
    book.count -= 1;
    if (book.count === 0) {
      book.weighted.hi = book.weighted.lo = book.work.hi = book.work.lo = 0;
    } else {
      book.weighted.add(-weightOf(task));
      book.work.add(-task.estimateS);
    }
    const had = book.tailCount.get(task.tailS) ?? 0;
    if (had <= 1) {
      book.tailCount.delete(task.tailS);
      book.tails.splice(firstNotLonger(book.tails, task.tailS), 1);
    } else book.tailCount.set(task.tailS, had - 1);
    book.buckets.get(task.priority)?.dropped((other) => this.isLive(other));
  }

  /** Forget everything. */
  clear(): void {
    for (const id of [...this.#live.keys()]) this.remove(id);
  }

  /** The per-model books of a lane (models with no ready task may be among them, with count 0). */
  books(lane: Lane): readonly ModelBook[] {
    return this.#lanes.get(lane) ?? [];
  }

  /** The book of one lane and model, if it ever had a task. */
  book(lane: Lane, model: string | null): ModelBook | undefined {
    return this.#books.get(`${lane}|${model ?? ''}|${model === null ? 0 : 1}`);
  }

  #book(lane: Lane, model: string | null): ModelBook {
    const key = `${lane}|${model ?? ''}|${model === null ? 0 : 1}`;
    let book = this.#books.get(key);
    if (book === undefined) {
      book = new ModelBook(lane, model);
      this.#books.set(key, book);
      const list = this.#lanes.get(lane) ?? [];
      list.push(book);
      this.#lanes.set(lane, list);
    }
    return book;
  }
}

/** First index in `tails` (longest first) whose tail is not longer than `tailS`. */
function firstNotLonger(tails: readonly number[], tailS: number): number {
  let lo = 0;
  let hi = tails.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tails[mid] as number) > tailS) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
