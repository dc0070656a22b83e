/**
 * How long a test allows one CLI process (node + tsx, from TypeScript source) to start and answer, as a bound,
 * not an expectation. Measured on 2 cores saturated by five engineers' test runs (load average 16): `rigmind
 * --version` took 15 s, against 1-2 s on an idle machine. Tests that start processes one after another allow this
 * much per process; the work itself is timed from the configuration under test (heartbeats, time scale, estimates).
 */
export const PROCESS_START_MS = 30_000;

/** A test's timeout for `starts` processes started one after another plus `workMs` of configured work. */
export function boundFor(starts: number, workMs = 0): number {
  return starts * PROCESS_START_MS + workMs;
}

/**
 * How much slower configured work runs when the machine is saturated: at load 16 on 2 cores a runnable process
 * gets about 1/8 of a core. A bound on work timed from the configuration (time scale, estimates, heartbeats) is
 * that time times this factor.
 */
export const SATURATION_FACTOR = 8;
