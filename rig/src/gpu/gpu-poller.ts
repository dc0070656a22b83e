import { systemSchedule, type Schedule } from './clock.js';
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
  readonly schedule?: Schedule;
  /** A listener that throws is a bug; by default it is rethrown outside the poller so it is not lost. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Probes on an interval. The next probe is scheduled only after the previous one finished,
 * so a slow nvidia-smi (it can take seconds on a busy riser bus) never stacks runs.
 */
export class GpuPoller {
  readonly #options: GpuPollerOptions;
  readonly #schedule: Schedule;
  #running = false;
  #cancel: (() => void) | null = null;
  #inFlight: Promise<void> | null = null;

  constructor(options: GpuPollerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${options.intervalMs}`);
    this.#options = options;
    this.#schedule = options.schedule ?? systemSchedule;
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
    this.#cancel?.();
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
        if (this.#running) this.#cancel = this.#schedule(() => this.#tick(), this.#options.intervalMs);
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
