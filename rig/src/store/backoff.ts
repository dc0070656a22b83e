/** Retry backoff settings: exponential from `base_ms`, capped at `cap_ms`, with full jitter. */
export interface BackoffPolicy {
  readonly base_ms: number;
  readonly cap_ms: number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): a uniform draw from [0, min(cap, base * 2^(retry-1))].
 * `random` is the injected runtime's. Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads
 * retries of tasks that failed together.
 */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.cap_ms, policy.base_ms * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
