import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * A file created on its first write. Most short tasks print nothing; creating two empty files per attempt cost
 * more than running `true` itself on the rigs we measured.
 */
export class LazyFile {
  #stream: WriteStream | undefined;
  #bytes = 0;

  constructor(readonly path: string) {}

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Append a chunk, creating the file if this is the first. */
  write(chunk: Buffer): void {
    this.#stream ??= createWriteStream(this.path, { flags: 'w' });
    this.#bytes += chunk.length;
    this.#stream.write(chunk);
  }

  /** Flush and close; resolves to the path if anything was written, else undefined. */
  async close(): Promise<string | undefined> {
    const stream = this.#stream;
    if (stream === undefined) return undefined;
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
    return this.path;
  }
}
