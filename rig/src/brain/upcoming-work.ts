import type { Store } from '../store/store.js';
import type { UpcomingTask } from '../scheduler/types.js';
import { TtlCache } from './ttl-cache.js';

/** Most blocked tasks the scheduler looks ahead at; beyond that, the nearest ones by priority and plan order. */
const LIMIT = 256;

/**
 * GPU work that will soon be ready: blocked worker tasks whose dependencies are all running or done, expected
 * ready when the slowest of those running would finish if it had just started. A dependency still waiting in the
 * queue rules a task out: counting it would have a card kept for work that cannot come until the card does other
 * work first (a transcript, then its embedding, then a summary by the LLM already on the card).
 * The scheduler loads models ahead for it. Read at most once per `ttlMs`: the DAG moves at the pace of tasks.
 */
export class UpcomingWork {
  readonly #cache: TtlCache<UpcomingTask[]>;

  constructor(
    private readonly store: Store,
    ttlMs = 1_000,
  ) {
    this.#cache = new TtlCache(ttlMs);
  }

  /**
   * The upcoming tasks at `now` (ms; `nowS` is the scheduler's clock); `resolveModel` gives a task's model need (an llm
   * task naming none gets the default).
   */
  list(
    now: number,
    nowS: number,
    estimateOf: (row: { task_class: 'script' | 'llm'; estimate_s: number | null }) => number,
    resolveModel: (row: { task_class: 'script' | 'llm'; model: string | null }) => string | null,
  ): UpcomingTask[] {
    return this.#cache.get(now, () => this.#read(nowS, estimateOf, resolveModel));
  }

  /** Forget the cached list (a plan arrived, a task finished). */
  invalidate(): void {
    this.#cache.invalidate();
  }

  #read(
    nowS: number,
    estimateOf: (row: { task_class: 'script' | 'llm'; estimate_s: number | null }) => number,
    resolveModel: (row: { task_class: 'script' | 'llm'; model: string | null }) => string | null,
  ): UpcomingTask[] {
    return this.store.dag.upcoming(LIMIT).map((row) => ({
      id: row.task_id,
      taskClass: row.task_class,
      executor: 'worker' as const,
      model: resolveModel(row),
      priority: row.priority,
      readyAtS: nowS,
      seq: row.seq,
      estimateS: estimateOf(row),
      vramMb: row.vram_mb ?? 0,
      tailS: 0,
      etaS: nowS + (row.wait_s ?? 0),
    }));
  }
}
