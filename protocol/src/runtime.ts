/**
 * Everything nondeterministic a component needs: the wall clock, waiting, randomness and fresh ids. One object is
 * injected at each composition root (systemRuntime in production, a manual one in tests), so no module reads the
 * clock or the random source in place and every test can run time forward by hand.
 */
export interface Runtime {
  /** Wall-clock time in milliseconds since the epoch. */
  now(): number;
  /**
   * Resolve after `ms`, or as soon as `signal` aborts. An abort resolves rather than rejects: whoever aborts is
   * stopping and re-checks its own state next, so a rejection would only add a catch at every call site.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1), for jitter and sampling; never for secrets (those use crypto directly). */
  random(): number;
  /** A fresh unique id (a UUID v4 in production). */
  id(): string;
}

// No separate Schedule: a cancellable timer is sleep plus an AbortSignal, so pollers need no second primitive.

/**
 * The real runtime. Its sleep keeps the process alive (a ref'd timer) on purpose: an unref'd one looks kind to a
 * CLI, but a command awaiting only a backoff would then exit mid-wait, silently and with status 0. A loop that
 * must not hold the process open aborts its sleep on shutdown instead.
 */
export const systemRuntime: Runtime = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
  random: () => Math.random(),
  id: () => globalThis.crypto.randomUUID(),
};
