/** Wall-clock time in milliseconds since the epoch; injected so tests control durations. */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Schedule `fn` after `ms`; returns a cancel function. Injected so pollers run on a manual clock in tests. */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** The real scheduler: an unref'd timer, so a forgotten poller never holds the process open. */
export const systemSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};
