import type { Runtime } from '@rigmind/protocol';
/** Refusals from one address that were counted instead of recorded one by one, over one window. */
export interface SuppressedRefusals {
  readonly address: string;
  readonly count: number;
  /** Start and end of the window, Unix ms. */
  readonly from: number;
  readonly to: number;
}

/** Settings of a {@link RefusalThrottle}. */
export interface RefusalThrottleOptions {
  /** Refusals per address and minute recorded one by one; more are counted. */
  readonly perMinute: number;
  /** Addresses tracked at once; the oldest window is summarised and dropped to make room. */
  readonly maxAddresses: number;
  readonly runtime: Pick<Runtime, 'now'>;
  /** Receives one summary per address and window that had refusals counted. */
  readonly onSuppressed: (summary: SuppressedRefusals) => void;
}

const WINDOW_MS = 60_000;

interface Window {
  readonly start: number;
  recorded: number;
  suppressed: number;
}

/**
 * Bounds what unauthenticated refusals cost the Pi. Each one would otherwise append an audit record (a commit on
 * the SD card) and a log line, so anyone who can reach the port could grow the database and the journal without
 * limit. Per client address and fixed one-minute window, the first `perMinute` refusals are recorded as before;
 * the rest are counted and recorded as one summary when the window ends. The refusals themselves are unchanged
 * (every request is still checked and answered), and memory is bounded by `maxAddresses`.
 */
export class RefusalThrottle {
  // Insertion order is window-start order: a window is deleted when it ends and its address re-added when it
  // refuses again. So the oldest window is always first.
  readonly #windows = new Map<string, Window>();

  constructor(private readonly options: RefusalThrottleOptions) {}

  /** Count one refusal from `address`: true when it is to be recorded one by one, false when only counted. */
  admit(address: string): boolean {
    const now = this.options.runtime.now();
    let window = this.#windows.get(address);
    if (window !== undefined && now - window.start >= WINDOW_MS) {
      this.#end(address, window, now);
      window = undefined;
    }
    if (window === undefined) {
      if (this.#windows.size >= this.options.maxAddresses) this.#endOldest(now);
      window = { start: now, recorded: 0, suppressed: 0 };
      this.#windows.set(address, window);
    }
    if (window.recorded < this.options.perMinute) {
      window.recorded += 1;
      return true;
    }
    window.suppressed += 1;
    return false;
  }

  /** Summarise the windows that have ended (`all`: every window, for shutdown). A timer calls this every minute. */
  flush(all = false): void {
    const now = this.options.runtime.now();
    for (const [address, window] of this.#windows) {
      if (!all && now - window.start < WINDOW_MS) break;
      this.#end(address, window, now);
    }
  }

  /** Addresses with an open window (for tests and metrics). */
  get tracked(): number {
    return this.#windows.size;
  }

  #endOldest(now: number): void {
    const oldest = this.#windows.entries().next();
    if (oldest.done !== true) this.#end(oldest.value[0], oldest.value[1], now);
  }

  #end(address: string, window: Window, now: number): void {
    this.#windows.delete(address);
    if (window.suppressed > 0) {
      this.options.onSuppressed({
        address,
        count: window.suppressed,
        from: window.start,
        to: Math.min(now, window.start + WINDOW_MS),
      });
    }
  }
}
