import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * A file created on its first write. Most short tasks print nothing; creating two empty files per attempt cost
 * more than running `true` itself on the rigs we measured.
 */
export class LazyFile {
  #stream: WriteStream | undefined;
  #bytes = 0;
  #error: Error | undefined;

  constructor(readonly path: string) {}

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Append a chunk, creating the file if this is the first. */
  write(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#error !== undefined) return;
    if (this.#stream === undefined) {
      const stream = createWriteStream(this.path, { flags: 'w' });
      // A full disk (ENOSPC) must not kill the worker: the task runs on, its output is cut, and its result says so.
      stream.on('error', (error) => {
        this.#error ??= error;
        stream.destroy();
      });
      this.#stream = stream;
    }
    this.#stream.write(chunk);
  }

  /** Why the output could not be written in full, if it could not. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Flush and close; resolves to the path if anything was written, else undefined. Never rejects. */
  async close(): Promise<string | undefined> {
    const stream = this.#stream;
    if (stream === undefined) return undefined;
    if (this.#error === undefined && !stream.destroyed) {
      await new Promise<void>((resolve) => {
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      });
    }
    return this.path;
  }
}
