import { systemRuntime, type Runtime } from '@rigmind/protocol';
import type { ProbeResult } from './gpu-probe.js';

/** Anything that can be probed: the real {@link GpuProbe} or a test's canned one. */
export interface Probe {
  probe(): Promise<ProbeResult>;
}

/** Options for {@link GpuPoller}. */
export interface GpuPollerOptions {
  readonly probe: Probe;
  readonly intervalMs: number;
  /** Called with every result, failures included, so the worker sees nvidia-smi vanish. */
  readonly onResult: (result: ProbeResult) => void;
  readonly runtime?: Pick<Runtime, 'sleep'>;
  /** A listener that throws is a bug; by default it is rethrown outside the poller so it is not lost. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Probes on an interval. The next probe is scheduled only after the previous one finished,
 * so a slow nvidia-smi (it can take seconds on a busy riser bus) never stacks runs.
 */
export class GpuPoller {
  readonly #options: GpuPollerOptions;
  readonly #runtime: Pick<Runtime, 'sleep'>;
  #running = false;
  #cancel: AbortController | null = null;
  #inFlight: Promise<void> | null = null;

  constructor(options: GpuPollerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
    this.#options = options;
    this.#runtime = options.runtime ?? systemRuntime;
  }

  /** Whether the poller is running. */
  get running(): boolean {
    return this.#running;
  }

  /** Probe now and then every interval. Starting twice is harmless. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  /** Stop, and wait for a probe in flight so nothing is emitted after this resolves. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#cancel?.abort();
    this.#cancel = null;
    await this.#inFlight;
  }

  #tick(): void {
    this.#cancel = null;
    this.#inFlight = this.#options.probe
      .probe()
      .then((result) => {
        if (this.#running) this.#options.onResult(result);
      })
      .catch((error: unknown) => this.#report(error))
      .finally(() => {
        this.#inFlight = null;
        if (this.#running) this.#wait();
      });
  }

  #wait(): void {
    const cancel = new AbortController();
    this.#cancel = cancel;
    void this.#runtime.sleep(this.#options.intervalMs, cancel.signal).then(() => {
      if (!cancel.signal.aborted && this.#running) this.#tick();
    });
  }

  #report(error: unknown): void {
    if (this.#options.onError) this.#options.onError(error);
    else
      queueMicrotask(() => {
        throw error;
      });
  }
}
