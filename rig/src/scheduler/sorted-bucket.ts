import type { SchedTask } from './types.js';

/** One addition of a task to a ready index; the task is still ready while the index maps its id to this entry. */
export interface ReadyEntryRef {
  readonly task: SchedTask;
}

/** Within one priority the swap-aware order is by age, then the longer tail, then plan order. */
function withinPriority(a: SchedTask, b: SchedTask): number {
  return a.readyAtS - b.readyAtS || b.tailS - a.tailS || a.seq - b.seq;
}

/**
 * Ready tasks of one lane, model and priority in the swap-aware order. Tasks mostly become ready in time order, so an
 * addition is usually a push; removal only marks the entry (the index forgets it) and the array is compacted when
 * half of it is gone, outside any decision, so positions held by a decision's cursors stay valid.
 */
export class SortedBucket {
  items: ReadyEntryRef[] = [];
  #gone = 0;

  constructor(
    readonly lane: string,
    readonly model: string | null,
    readonly priority: number,
  ) {}

  /** Entries still in the index. */
  live = 0;

  /** Insert in order. */
  insert(entry: ReadyEntryRef): void {
    this.live += 1;
    const last = this.items[this.items.length - 1];
    if (last === undefined || withinPriority(last.task, entry.task) <= 0) {
      this.items.push(entry);
      return;
    }
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (withinPriority((this.items[mid] as ReadyEntryRef).task, entry.task) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, entry);
  }

  /** An entry left the index. */
  dropped(isLive: (entry: ReadyEntryRef) => boolean): void {
    this.live -= 1;
    this.#gone += 1;
    if (this.#gone > 32 && this.#gone > this.live) {
      this.items = this.items.filter(isLive);
      this.#gone = 0;
    }
  }

  /** The first position whose task's `key` exceeds `bound` (the entries are sorted by age, so by `readyAtS + c`). */
  firstAbove(bound: number, key: (task: SchedTask) => number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key((this.items[mid] as ReadyEntryRef).task) > bound) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** A position in a bucket during one ordered walk; `until` ends the walk of this bucket early (overdue prefixes). */
interface Cursor {
  readonly bucket: SortedBucket;
  pos: number;
  readonly until: ((task: SchedTask) => boolean) | undefined;
}

/**
 * Walks the live entries of several buckets in one global order (the policy's comparator), by comparing the heads of
 * the buckets: each bucket is already in that order within itself. Cursors may be set aside and brought back (the
 * overdue walk skips buckets whose tasks could change nothing while no card is free).
 */
export class OrderedWalk {
  readonly #cursors: Cursor[];
  readonly #aside: Cursor[] = [];
  #last: SchedTask | undefined;

  constructor(
    buckets: Iterable<SortedBucket>,
    private readonly order: (a: SchedTask, b: SchedTask) => number,
    private readonly skip: (entry: ReadyEntryRef) => boolean,
    until?: (task: SchedTask) => boolean,
    start = 0,
  ) {
    this.#cursors = [...buckets].filter((b) => b.live > 0).map((bucket) => ({ bucket, pos: start, until }));
  }

  /** The next task in order, or undefined. */
  next(): SchedTask | undefined {
    let best: Cursor | undefined;
    let bestTask: SchedTask | undefined;
    for (const cursor of this.#cursors) {
      const task = this.#head(cursor);
      if (task !== undefined && (bestTask === undefined || this.order(task, bestTask) < 0)) {
        best = cursor;
        bestTask = task;
      }
    }
    if (best === undefined) return undefined;
    best.pos += 1;
    this.#last = bestTask;
    return bestTask;
  }

  /** Set aside the buckets `which` picks; they no longer take part until `restore`. */
  setAside(which: (bucket: SortedBucket) => boolean): void {
    for (let i = this.#cursors.length - 1; i >= 0; i -= 1) {
      const cursor = this.#cursors[i] as Cursor;
      if (!which(cursor.bucket)) continue;
      this.#aside.push(cursor);
      this.#cursors.splice(i, 1);
    }
  }

  /** Bring back set-aside buckets, past every task that comes before the last one walked. */
  restore(): void {
    for (const cursor of this.#aside.splice(0)) {
      const last = this.#last;
      for (let task = this.#head(cursor); task !== undefined && last !== undefined && this.order(task, last) <= 0; ) {
        cursor.pos += 1;
        task = this.#head(cursor);
      }
      this.#cursors.push(cursor);
    }
  }

  #head(cursor: Cursor): SchedTask | undefined {
    const { items } = cursor.bucket;
    while (cursor.pos < items.length) {
      const entry = items[cursor.pos] as ReadyEntryRef;
      if (!this.skip(entry)) {
        if (cursor.until !== undefined && !cursor.until(entry.task)) {
          cursor.pos = items.length;
          return undefined;
        }
        return entry.task;
      }
      cursor.pos += 1;
    }
    return undefined;
  }
}
