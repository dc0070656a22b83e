import { ReadyIndex } from '../scheduler/ready-index.js';
import type { SchedTask } from '../scheduler/types.js';
import type { ReadyEntry, ReadyQueue } from './ready-queue.js';

/** Seconds assumed for a task without an estimate. */
export const DEFAULT_ESTIMATE_S: Readonly<Record<'script' | 'llm', number>> = { script: 30, llm: 60 };

/** How the live brain turns a queue entry into a task the policy places. */
export interface LiveReadyNaming {
  /** Scheduler seconds of a wall-clock ms (a simulated rig compresses time). */
  readonly seconds: (ms: number) => number;
  /** The model a worker task needs (an llm task naming none gets the default). */
  readonly modelOf: (taskClass: 'script' | 'llm', model: string | null | undefined) => string | null;
  /** A worker's model was seen in the queue (so the rig spec knows its kind). */
  readonly noted: (model: string, kind: 'llm' | 'script') => void;
}

/**
 * The ready GPU work the live policy places, as a {@link ReadyIndex} kept in step with the brain's ready queue (itself
 * rebuilt from SQLite at start and after a rolled-back transaction, which this index follows through `cleared` and
 * `added`): worker tasks, and the brain's while a brain worker is there, on its model. A pump then reads bucket heads
 * and sums, not every ready task. When the brain worker comes, goes or changes model, the index is rebuilt.
 */
export class LiveReady {
  readonly index = new ReadyIndex();
  #brainModel: string | null = null;

  constructor(
    private readonly queue: ReadyQueue,
    private readonly naming: LiveReadyNaming,
  ) {
    queue.watch({
      added: (entry) => this.#add(entry),
      removed: (taskId) => this.index.remove(taskId),
      cleared: () => this.index.clear(),
    });
    this.#rebuild();
  }

  /** The index for a pump where the brain worker runs `brainModel` (null: no brain worker). */
  forBrain(brainModel: string | null): ReadyIndex {
    if (brainModel !== this.#brainModel) {
      this.#brainModel = brainModel;
      this.#rebuild();
    }
    return this.index;
  }

  #rebuild(): void {
    this.index.clear();
    for (const entry of this.queue.entries()) this.#add(entry);
  }

  #add(entry: ReadyEntry): void {
    if (entry.task_class !== 'script' && entry.task_class !== 'llm') return;
    if (entry.executor === 'brain' && this.#brainModel === null) return;
    const model = entry.executor === 'brain' ? this.#brainModel : this.naming.modelOf(entry.task_class, entry.model);
    if (model !== null && entry.executor === 'worker')
      this.naming.noted(model, entry.task_class === 'llm' ? 'llm' : 'script');
    const task: SchedTask = {
      id: entry.task_id,
      taskClass: entry.task_class,
      executor: entry.executor,
      model,
      priority: entry.priority,
      readyAtS: this.naming.seconds(entry.queued_at),
      seq: entry.seq,
      estimateS: entry.estimate_s ?? DEFAULT_ESTIMATE_S[entry.task_class],
      vramMb: entry.vram_mb ?? 0,
      tailS: 0,
    };
    this.index.add(task);
  }
}

/** A ready task (worker, else brain) needing `model`: the plan a load made ahead of its work is charged to. */
export function anyNeeding(tasks: ReadyIndex, model: string): SchedTask | undefined {
  for (const lane of ['worker', 'brain'] as const) {
    for (const bucket of tasks.book(lane, model)?.buckets.values() ?? [])
      for (const entry of bucket.items) if (tasks.isLive(entry)) return entry.task;
  }
  return undefined;
}
