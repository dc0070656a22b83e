import { systemRuntime, type Runtime } from '@rigmind/protocol';
import { createWriteStream, type WriteStream } from 'node:fs';

/** How long a log file that failed is left alone before writing to it is tried again (ms). */
const RETRY_MS = 5_000;

/**
 * A log file that cannot take the process down. A full disk makes a file stream emit `error` (ENOSPC), which
 * without a listener kills the process: here it costs one warning on stderr per episode, the lines of the
 * episode are dropped, and writing is tried again every few seconds, so the log resumes when space returns.
 */
export class LogFile {
  readonly #path: string;
  readonly #warn: (line: string) => void;
  #stream: WriteStream | undefined;
  #failedAt: number | undefined;
  #healthy = true;
  #dropped = 0;

  readonly #retryMs: number;
  readonly #runtime: Pick<Runtime, 'now'>;

  constructor(
    path: string,
    options: { warn?: (line: string) => void; retryMs?: number; runtime?: Pick<Runtime, 'now'> } = {},
  ) {
    this.#path = path;
    this.#warn = options.warn ?? ((line) => process.stderr.write(line));
    this.#retryMs = options.retryMs ?? RETRY_MS;
    this.#runtime = options.runtime ?? systemRuntime;
  }

  /** Append one line (pino's destination interface). */
  write(line: string): void {
    if (this.#stream === undefined) {
      if (this.#failedAt !== undefined && this.#runtime.now() - this.#failedAt < this.#retryMs) {
        this.#dropped += 1;
        return;
      }
      this.#stream = this.#open();
    }
    const stream = this.#stream;
    stream.write(line, (error) => {
      if (error === undefined || error === null) this.#wrote();
    });
  }

  #open(): WriteStream {
    const stream = createWriteStream(this.#path, { flags: 'a' });
    stream.on('error', (error) => this.#fail(stream, error));
    return stream;
  }

  #wrote(): void {
    if (this.#healthy) return;
    this.#healthy = true;
    if (this.#dropped > 0) this.#warn(`rigmind: writing ${this.#path} again; ${this.#dropped} log line(s) dropped\n`);
    this.#dropped = 0;
  }

  #fail(stream: WriteStream, error: Error): void {
    if (stream === this.#stream) this.#stream = undefined;
    stream.destroy();
    this.#failedAt = this.#runtime.now();
    this.#dropped += 1;
    if (!this.#healthy) return;
    this.#healthy = false;
    const why = `${error.message}; its lines are dropped until it can`;
    this.#warn(`rigmind: cannot write the log file ${this.#path} (${why})\n`);
  }
}
