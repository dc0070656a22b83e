import type { Executor, TaskClass } from '@rigmind/protocol';

/** A task that is ready to run, as the scheduler sees it. */
export interface ReadyEntry {
  readonly task_id: string;
  readonly task_class: TaskClass;
  readonly executor: Executor;
  readonly priority: number;
  /** When it entered the queue (ms): its age drives aging. */
  readonly queued_at: number;
  readonly seq: number;
  /** What the swap-aware scheduler needs to place GPU work (absent in the simulator's naive queue). */
  readonly model?: string | null;
  readonly estimate_s?: number | null;
  readonly vram_mb?: number | null;
}

/** What a worker can take. */
export interface WorkerAppetite {
  readonly classes: readonly TaskClass[];
  readonly prefer?: TaskClass | undefined;
  readonly executor: Executor;
}

/** Told of every change to the queue, to keep a derived index in step (the live scheduler's ReadyIndex). */
export interface ReadyWatcher {
  added(entry: ReadyEntry): void;
  removed(taskId: string): void;
  cleared(): void;
}

/** FIFO with lazy deletion: removal is O(1); stale heads are skipped when read. */
class Fifo {
  items: ReadyEntry[] = [];
  head = 0;
  push(entry: ReadyEntry): void {
    this.items.push(entry);
  }
  peek(live: ReadonlyMap<string, ReadyEntry>): ReadyEntry | undefined {
    while (this.head < this.items.length) {
      const entry = this.items[this.head] as ReadyEntry;
      if (live.get(entry.task_id) === entry) return entry;
      this.head += 1;
    }
    if (this.head > 0) {
      this.items = [];
      this.head = 0;
    }
    return undefined;
  }
}

/**
 * The public queue of ready tasks, in memory, rebuilt from SQLite on start.
 *
 * Order for a worker (the seed's): resource tasks, then its preferred class, then the other classes it serves,
 * compared by effective priority = priority + minutes waited / aging rate, then age, then plan order. Within one
 * (executor, class, priority) bucket tasks are FIFO, so only bucket heads are compared: a pick is O(classes x 10).
 */
export class ReadyQueue {
  readonly #buckets = new Map<string, Fifo>();
  readonly #live = new Map<string, ReadyEntry>();
  readonly #watchers: ReadyWatcher[] = [];

  constructor(private readonly agingMsPerPoint: number) {}

  /** Number of ready tasks. */
  get size(): number {
    return this.#live.size;
  }

  /** Tell `watcher` of every later change. */
  watch(watcher: ReadyWatcher): void {
    this.#watchers.push(watcher);
  }

  /** Whether a task is in the queue. */
  has(taskId: string): boolean {
    return this.#live.has(taskId);
  }

  /** Add (or re-add) a ready task. */
  add(entry: ReadyEntry): void {
    this.#live.set(entry.task_id, entry);
    const key = bucketKey(entry.executor, entry.task_class, entry.priority);
    let fifo = this.#buckets.get(key);
    if (fifo === undefined) {
      fifo = new Fifo();
      this.#buckets.set(key, fifo);
    }
    fifo.push(entry);
    for (const watcher of this.#watchers) watcher.added(entry);
  }

  /** Drop a task (leased, canceled). */
  remove(taskId: string): void {
    if (this.#live.delete(taskId)) for (const watcher of this.#watchers) watcher.removed(taskId);
  }

  /** Forget every task (memory is rebuilt from the database after a rolled-back transaction). */
  clear(): void {
    this.#live.clear();
    this.#buckets.clear();
    for (const watcher of this.#watchers) watcher.cleared();
  }

  /** Every ready task, in no particular order. */
  entries(): IterableIterator<ReadyEntry> {
    return this.#live.values();
  }

  /** One ready task. */
  get(taskId: string): ReadyEntry | undefined {
    return this.#live.get(taskId);
  }

  /** The task this worker should run next, without removing it. */
  pick(worker: WorkerAppetite, now: number): ReadyEntry | undefined {
    const served = new Set(worker.classes);
    const tiers: TaskClass[][] = [['resource']];
    if (worker.prefer !== undefined && served.has(worker.prefer)) tiers.push([worker.prefer]);
    tiers.push(worker.classes.filter((taskClass) => taskClass !== worker.prefer && taskClass !== 'resource'));
    for (const tier of tiers) {
      const best = this.#bestOf(worker.executor, tier, now);
      if (best !== undefined) return best;
    }
    return undefined;
  }

  #bestOf(executor: Executor, classes: readonly TaskClass[], now: number): ReadyEntry | undefined {
    let best: ReadyEntry | undefined;
    let bestScore = -Infinity;
    for (const taskClass of classes) {
      for (let priority = 1; priority <= 10; priority += 1) {
        const head = this.#buckets.get(bucketKey(executor, taskClass, priority))?.peek(this.#live);
        if (head === undefined) continue;
        const score = effectivePriority(head, now, this.agingMsPerPoint);
        if (best === undefined || score > bestScore || (score === bestScore && olderThan(head, best))) {
          best = head;
          bestScore = score;
        }
      }
    }
    return best;
  }
}

/** A ready task's priority after aging: one point per `agingMsPerPoint` waited. */
export function effectivePriority(entry: ReadyEntry, now: number, agingMsPerPoint: number): number {
  return entry.priority + Math.max(0, now - entry.queued_at) / agingMsPerPoint;
}

function olderThan(a: ReadyEntry, b: ReadyEntry): boolean {
  return a.queued_at < b.queued_at || (a.queued_at === b.queued_at && a.seq < b.seq);
}

function bucketKey(executor: Executor, taskClass: TaskClass, priority: number): string {
  return `${executor}|${taskClass}|${priority}`;
}
