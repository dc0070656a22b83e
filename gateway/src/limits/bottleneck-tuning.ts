import type Bottleneck from 'bottleneck';

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
