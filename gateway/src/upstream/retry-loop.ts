import type { Runtime } from '@rigmind/protocol';
/** One try of something that may be retried. */
export type Try<T, F> =
  | { readonly done: true; readonly value: T }
  | {
      readonly done: false;
      readonly retryable: boolean;
      readonly retryAfterMs: number | undefined;
      readonly failure: F;
    };

/** Settings of {@link retryLoop}. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseMs: number;
  readonly capMs: number;
  /** A retry-after beyond this ends the loop: waiting that long belongs to the outbox, not to an open request. */
  readonly maxRetryAfterMs: number;
}

/** Injected waiting and randomness (jitter). */
export type RetryIo = Pick<Runtime, 'sleep' | 'random'>;

/** The loop's end: a value, or the last failure and whether it could have been retried later. */
export type RetryOutcome<T, F> =
  | { readonly ok: true; readonly value: T; readonly tries: number }
  | { readonly ok: false; readonly failure: F; readonly retryable: boolean; readonly tries: number };

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The gateway's one retry loop for upstream calls (the SDK's own retries are off). It honours retry-after
 * when the server gives one and backs off exponentially with jitter otherwise. Bounded by `attempts`.
 */
export async function retryLoop<T, F>(
  policy: RetryPolicy,
  io: RetryIo,
  attempt: (n: number) => Promise<Try<T, F>>,
): Promise<RetryOutcome<T, F>> {
  for (let n = 1; ; n += 1) {
    const result = await attempt(n);
    if (result.done) return { ok: true, value: result.value, tries: n };
    if (!result.retryable || n >= policy.attempts)
      return { ok: false, failure: result.failure, retryable: result.retryable, tries: n };
    const wait = result.retryAfterMs ?? backoffMs(n, policy.baseMs, policy.capMs, () => io.random());
    if (wait > policy.maxRetryAfterMs) return { ok: false, failure: result.failure, retryable: true, tries: n };
    await io.sleep(wait);
  }
}
