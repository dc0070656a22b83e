import { ReplyHeaders } from './reply-headers.js';

/** Status and headers of a {@link BufferedResponse}. */
export interface BufferedInit {
  readonly status: number;
  readonly statusText?: string;
  readonly headers?: ReplyHeaders | Iterable<readonly [string, string]>;
}

/**
 * A fetch Response over a body already read whole into memory, for the SDK's JSON calls. Node's Response keeps
 * every body in a web ReadableStream and reads it back through that stream on `json()`, which for a small JSON
 * reply costs more than parsing it. This one holds the bytes instead: `text`, `json`, `arrayBuffer`, `blob` and
 * `clone` read them, and `body` is null (there is no stream), so it is not for streamed (SSE) replies.
 */
export class BufferedResponse extends Response {
  readonly #bytes: Uint8Array | null;
  // Own properties (the Response type declares these as properties), shadowing Response's prototype members.
  override bodyUsed = false;

  /** Read-only {@link ReplyHeaders}: built from undici's parsed headers without Node's Headers. */
  override readonly headers: Headers;
  readonly #headers: ReplyHeaders;

  override readonly arrayBuffer = async (): Promise<ArrayBuffer> => {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };

  override readonly text = async (): Promise<string> => {
    const bytes = this.#take();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  };

  override readonly json = async (): Promise<unknown> => JSON.parse(await this.text()) as unknown;

  override readonly blob = async (): Promise<Blob> =>
    new Blob([this.#take()], { type: this.headers.get('content-type') ?? '' });

  override readonly clone = (): BufferedResponse => {
    if (this.bodyUsed) throw new TypeError('Response.clone: body has already been consumed');
    // Headers are immutable, so the copy can share them.
    return new BufferedResponse(this.#bytes, {
      status: this.status,
      statusText: this.statusText,
      headers: this.#headers,
    });
  };

  /** `bytes` null for a response without a body (204, 304, HEAD). */
  constructor(bytes: Uint8Array | null, init: BufferedInit) {
    super(
      null,
      init.statusText === undefined ? { status: init.status } : { status: init.status, statusText: init.statusText },
    );
    this.#bytes = bytes;
    const headers = init.headers ?? [];
    this.#headers = headers instanceof ReplyHeaders ? headers : ReplyHeaders.fromPairs(headers);
    this.headers = this.#headers;
  }

  // As with fetch, a body can be read once; an empty one reads as zero bytes.
  #take(): Uint8Array {
    if (this.bodyUsed) throw new TypeError('Body is unusable: body has already been read');
    this.bodyUsed = true;
    return this.#bytes ?? new Uint8Array(0);
  }
}
