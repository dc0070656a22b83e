import { err, ok, type Result, type Runtime } from '@rigmind/protocol';
import Bottleneck from 'bottleneck';
import { FastLaneLimiter } from './bottleneck-tuning.js';

/** Per-rig limits. */
export interface RigLimits {
  readonly concurrency: number;
  readonly requestsPerMinute: number;
  readonly queue: number;
}

/** Which limit refused: the per-minute reservoir, or the concurrency cap with its queue full. */
export type LimitCode = 'rate_limited' | 'queue_full';

/** A job run under the rig's limits, or a refusal with how long to wait. */
export type Limited<T> = Result<T, LimitCode, { readonly retryAfterS: number }>;

/**
 * Per-rig rate limiting with bottleneck: a concurrency cap with a short queue, and a per-minute reservoir.
 * Over either limit the request is refused at once (429 with Retry-After) rather than held open.
 */
export class RigLimiter {
  readonly #limiters = new Map<string, { limiter: FastLaneLimiter; windowStart: number }>();

  constructor(
    private readonly limits: RigLimits,
    private readonly runtime: Pick<Runtime, 'now'>,
  ) {}

  /** Run `job` for `rigId` if its limits allow. */
  async run<T>(rigId: string, job: () => Promise<T>): Promise<Limited<T>> {
    const entry = this.#entry(rigId);
    const known = entry.limiter.reservoirNow();
    const reservoir = known === undefined ? await entry.limiter.limiter.currentReservoir() : known;
    const elapsed = (this.runtime.now() - entry.windowStart) % 60_000;
    const retryAfterS = Math.max(1, Math.ceil((60_000 - elapsed) / 1000));
    if (reservoir !== null && reservoir <= 0)
      return err('rate_limited', `over ${this.limits.requestsPerMinute} requests per minute`, { retryAfterS });
    if (entry.limiter.waiting() >= this.limits.queue && entry.limiter.running() >= this.limits.concurrency) {
      return err('queue_full', `over ${this.limits.concurrency} concurrent requests with ${this.limits.queue} queued`, {
        retryAfterS: 1,
      });
    }
    try {
      return ok(await entry.limiter.schedule(job));
    } catch (error) {
      // Bottleneck refuses a job only when its queue overflows (the OVERFLOW strategy).
      if (error instanceof Bottleneck.BottleneckError) return err('queue_full', error.message, { retryAfterS: 1 });
      throw error;
    }
  }

  /** Stop every limiter (pending jobs are dropped). */
  async stop(): Promise<void> {
    await Promise.all([...this.#limiters.values()].map(({ limiter }) => limiter.stop()));
    this.#limiters.clear();
  }

  #entry(rigId: string): { limiter: FastLaneLimiter; windowStart: number } {
    let entry = this.#limiters.get(rigId);
    if (entry === undefined) {
      const limiter = new FastLaneLimiter({
        maxConcurrent: this.limits.concurrency,
        highWater: this.limits.queue,
        strategy: Bottleneck.strategy.OVERFLOW,
        reservoir: this.limits.requestsPerMinute,
        reservoirRefreshAmount: this.limits.requestsPerMinute,
        reservoirRefreshInterval: 60_000,
      });
      entry = { limiter, windowStart: this.runtime.now() };
      this.#limiters.set(rigId, entry);
    }
    return entry;
  }
}
