import type { Runtime } from '@rigmind/protocol';
import { FastLaneLimiter } from '../limits/bottleneck-tuning.js';

/** Why the gate would not let a call through in time. */
export interface GateThrottled {
  readonly throttled: true;
  /** When Anthropic's window reopens, in ms from now. */
  readonly retryAfterMs: number;
}

/** Response headers the gate reads, by name (lower case). */
export type HeaderLookup = (name: string) => string | null | undefined;

/**
 * The one upstream limiter. Bottleneck caps concurrent calls; on top of it the gate follows Anthropic's own
 * signals: `retry-after`, and the `anthropic-ratelimit-*` remaining/reset pairs for requests and tokens.
 * A call that would wait longer than `maxWaitMs` is not made: the caller defers it instead of holding a request open.
 */
export class UpstreamGate {
  readonly #limiter: FastLaneLimiter;
  #pausedUntil = 0;
  #tokensRemaining: number | undefined;
  #tokensResetAt = 0;

  constructor(
    maxConcurrent: number,
    private readonly maxWaitMs: number,
    private readonly clock: Pick<Runtime, 'now' | 'sleep'>,
  ) {
    this.#limiter = new FastLaneLimiter({ maxConcurrent });
  }

  /** Run `call` when the limits allow it, or say how long until they would. */
  async run<T>(estimatedTokens: number, call: () => Promise<T>): Promise<T | GateThrottled> {
    return this.#limiter.schedule(async () => {
      const wait = this.waitFor(estimatedTokens);
      if (wait > this.maxWaitMs) return { throttled: true as const, retryAfterMs: wait };
      if (wait > 0) await this.clock.sleep(wait);
      return call();
    });
  }

  /** How long a call of this size must wait under what Anthropic last said. */
  waitFor(estimatedTokens: number): number {
    const now = this.clock.now();
    let until = this.#pausedUntil;
    if (this.#tokensRemaining !== undefined && this.#tokensRemaining < estimatedTokens && this.#tokensResetAt > now) {
      until = Math.max(until, this.#tokensResetAt);
    }
    return Math.max(0, until - now);
  }

  /** Learn from a response's headers (successful or not). */
  observe(header: HeaderLookup): void {
    const now = this.clock.now();
    const retryAfter = parseRetryAfterMs(header, now);
    if (retryAfter !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + retryAfter);
    const requestsRemaining = parseNumber(header('anthropic-ratelimit-requests-remaining'));
    const requestsReset = parseResetAt(header('anthropic-ratelimit-requests-reset'));
    if (requestsRemaining === 0 && requestsReset !== undefined)
      this.#pausedUntil = Math.max(this.#pausedUntil, requestsReset);
    // Input tokens are what a request spends before it is answered; prefer that limit when it is given.
    const tokensRemaining = parseNumber(
      header('anthropic-ratelimit-input-tokens-remaining') ?? header('anthropic-ratelimit-tokens-remaining'),
    );
    const tokensReset = parseResetAt(
      header('anthropic-ratelimit-input-tokens-reset') ?? header('anthropic-ratelimit-tokens-reset'),
    );
    if (tokensRemaining !== undefined) {
      this.#tokensRemaining = tokensRemaining;
      this.#tokensResetAt = tokensReset ?? now;
    }
  }

  /** Stop accepting calls; queued ones are dropped. */
  async stop(): Promise<void> {
    await this.#limiter.stop();
  }
}

/** Whether a gate result is a throttle instead of the call's own result. */
export function isThrottled(value: unknown): value is GateThrottled {
  return typeof value === 'object' && value !== null && (value as { throttled?: unknown }).throttled === true;
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date), in ms from now. */
export function parseRetryAfterMs(header: HeaderLookup, now: number): number | undefined {
  const ms = parseNumber(header('retry-after-ms'));
  if (ms !== undefined && ms >= 0) return ms;
  const raw = header('retry-after');
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function parseNumber(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function parseResetAt(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined) return undefined;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : at;
}
