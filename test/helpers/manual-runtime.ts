import type { Runtime } from '@rigmind/protocol';

/** A sleep the test has not let finish yet. */
export interface PendingSleep {
  readonly ms: number;
  readonly until: number;
}

interface Sleeper extends PendingSleep {
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
}

/**
 * A Runtime whose clock moves only when the test says: `advance` runs time forward and wakes the sleeps that are
 * due, `fire` wakes the next one. Randomness is a fixed value (or a queue) and ids count up, so output is exact.
 */
export class ManualRuntime implements Runtime {
  #now: number;
  #ids = 0;
  #sleepers: Sleeper[] = [];
  readonly randoms: number[] = [];
  /** Every sleep asked for, in order, woken or not. */
  readonly slept: number[] = [];

  constructor(
    start = 1_700_000_000_000,
    readonly defaultRandom = 0.5,
  ) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.slept.push(ms);
    if (signal?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = { ms, until: this.#now + ms, resolve, signal };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => this.#wake(sleeper), { once: true });
    });
  }

  random(): number {
    return this.randoms.shift() ?? this.defaultRandom;
  }

  id(): string {
    this.#ids += 1;
    return `id-${this.#ids}`;
  }

  /** Sleeps still waiting, oldest first. */
  get pending(): readonly PendingSleep[] {
    return this.#sleepers.map(({ ms, until }) => ({ ms, until }));
  }

  /** Move the clock forward by `ms` and wake every sleep that is then due. */
  advance(ms: number): void {
    this.#now += ms;
    for (const sleeper of this.#sleepers.filter((s) => s.until <= this.#now)) this.#wake(sleeper);
  }

  /** Jump to the next sleep's end and wake it; throws when nothing sleeps (a test bug). */
  fire(): PendingSleep {
    const next = [...this.#sleepers].sort((a, b) => a.until - b.until)[0];
    if (next === undefined) throw new Error('nothing is sleeping');
    this.#now = Math.max(this.#now, next.until);
    this.#wake(next);
    return { ms: next.ms, until: next.until };
  }

  #wake(sleeper: Sleeper): void {
    const at = this.#sleepers.indexOf(sleeper);
    if (at < 0) return;
    this.#sleepers.splice(at, 1);
    sleeper.resolve();
  }
}
