import { systemRuntime } from '@rigmind/protocol';
import Bottleneck from 'bottleneck';

/**
 * Bottleneck's in-memory datastore yields to the event loop with `setTimeout(0)` before every operation, to
 * behave like its Redis store. Node clamps that to at least 1 ms, and a scheduled job passes through about four
 * such yields, which alone would put 4-5 ms on every escalation. Yielding with setImmediate keeps the
 * asynchronous behaviour without the clamp. Bottleneck 2.19.5 is its final release, so the internal shape is
 * fixed; if it is ever absent the limiter simply keeps its default behaviour.
 */
export function yieldWithoutTimerClamp(limiter: Bottleneck): Bottleneck {
  const store = (limiter as unknown as { _store?: { yieldLoop?: unknown } })._store;
  if (store !== undefined && typeof store.yieldLoop === 'function') {
    store.yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
  }
  return limiter;
}

/** The fields of bottleneck's LocalDatastore that its own `__register__` and `__free__` use. */
interface LocalStore {
  _running: number;
  _done: number;
  _nextRequest: number;
  readonly storeOptions: { reservoir: number | null; minTime: number };
  check(weight: number, now: number): boolean;
  isBlocked(now: number): boolean;
  computeCapacity(): number | null;
}

interface LimiterInternals {
  readonly _store?: unknown;
  empty?(): boolean;
  queued(): number;
  _drainAll?(capacity: number | null): Promise<unknown>;
}

function localStore(limiter: Bottleneck): LocalStore | undefined {
  const internals = limiter as unknown as LimiterInternals;
  const store = internals._store as Partial<LocalStore> | undefined;
  const usable =
    store !== undefined &&
    typeof store._running === 'number' &&
    typeof store._done === 'number' &&
    typeof store._nextRequest === 'number' &&
    typeof store.storeOptions === 'object' &&
    typeof store.check === 'function' &&
    typeof store.isBlocked === 'function' &&
    typeof store.computeCapacity === 'function' &&
    typeof internals.empty === 'function' &&
    typeof internals._drainAll === 'function';
  return usable ? (store as LocalStore) : undefined;
}

/**
 * A bottleneck limiter with a fast lane. Bottleneck passes every job through a submit lock, a register lock,
 * three datastore yields and a `setTimeout(0)` before it runs, even when nothing is queued and there is room:
 * 1.5 ms or more per limiter per request, and a stack of promises and timers for the garbage collector.
 *
 * When nothing is queued, nothing is being submitted and bottleneck's own check says a job fits now
 * (concurrency, reservoir, minTime, block state), the job is registered with bottleneck's datastore
 * synchronously, exactly as its `__register__` would (running count up, reservoir down), and run at once; when
 * it settles it is freed as `__free__` would (running count down) and queued jobs are drained. Bottleneck's
 * datastore stays the one account of what runs, so queued jobs see fast-lane jobs and the other way round, and
 * a job never overtakes a queued one. Anything else (full, queued, stopped) goes through `schedule` unchanged.
 * The internal shape is bottleneck 2.19.5's, its final release; if it is absent every job is scheduled.
 */
export class FastLaneLimiter {
  readonly limiter: Bottleneck;
  readonly #store: LocalStore | undefined;
  #stopped = false;

  constructor(options: Bottleneck.ConstructorOptions) {
    this.limiter = yieldWithoutTimerClamp(new Bottleneck(options));
    this.#store = localStore(this.limiter);
  }

  /** Run `job` under the limits: at once when it fits and nothing waits, else in bottleneck's queue. */
  schedule<T>(job: () => Promise<T>): Promise<T> {
    const store = this.#store;
    const internals = this.limiter as unknown as Required<LimiterInternals>;
    if (store === undefined || this.#stopped || !internals.empty()) return this.limiter.schedule(job);
    // Bottleneck's store keeps time with the system clock itself; a test runtime here would disagree with it.
    const now = systemRuntime.now();
    if (store.isBlocked(now) || !store.check(1, now)) return this.limiter.schedule(job);
    store._running += 1;
    if (store.storeOptions.reservoir !== null && store.storeOptions.reservoir !== undefined)
      store.storeOptions.reservoir -= 1;
    store._nextRequest = now + store.storeOptions.minTime;
    let running: Promise<T>;
    try {
      running = job();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.finally(() => {
      store._running -= 1;
      store._done += 1;
      if (internals.queued() > 0) void internals._drainAll(store.computeCapacity());
    });
  }

  /** Jobs running now, from either lane. */
  running(): number {
    if (this.#store !== undefined) return this.#store._running;
    const counts = this.limiter.counts();
    return (counts.RUNNING ?? 0) + (counts.EXECUTING ?? 0);
  }

  /** Jobs waiting in bottleneck's queue (received or queued). */
  waiting(): number {
    const counts = this.limiter.counts();
    return (counts.RECEIVED ?? 0) + (counts.QUEUED ?? 0);
  }

  /** The reservoir now (null: none), read synchronously; undefined when only bottleneck's async call can tell. */
  reservoirNow(): number | null | undefined {
    return this.#store === undefined ? undefined : (this.#store.storeOptions.reservoir ?? null);
  }

  /** Stop taking jobs; queued ones are dropped, running ones finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.limiter.stop({ dropWaitingJobs: true });
  }
}
