import { err, ok, type Result, type Runtime } from '@rigmind/protocol';

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

/**
 * Why the loop gave up: every attempt was used, the last failure cannot be retried, or the server asked for a
 * wait beyond `maxRetryAfterMs`.
 */
export type RetryEndCode = 'attempts_exhausted' | 'not_retryable' | 'wait_too_long';

/** What a failed loop carries: the last try's failure, whether a later retry could help, and how many tries ran. */
export interface RetryEnd<F> {
  readonly failure: F;
  readonly retryable: boolean;
  readonly tries: number;
}

/** The loop's end: a value, or why it stopped with the last failure. */
export type RetryOutcome<T, F> = Result<T, RetryEndCode, RetryEnd<F>>;

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
    if (result.done) return ok(result.value);
    const { failure } = result;
    if (!result.retryable)
      return err('not_retryable', `try ${n} failed for good`, { failure, retryable: false, tries: n });
    if (n >= policy.attempts)
      return err('attempts_exhausted', `all ${n} tries failed`, { failure, retryable: true, tries: n });
    const wait = result.retryAfterMs ?? backoffMs(n, policy.baseMs, policy.capMs, () => io.random());
    if (wait > policy.maxRetryAfterMs) {
      const message = `the server asked for a wait of ${wait} ms, beyond ${policy.maxRetryAfterMs} ms`;
      return err('wait_too_long', message, { failure, retryable: true, tries: n });
    }
    await io.sleep(wait);
  }
}
