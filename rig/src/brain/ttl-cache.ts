/** A value read again at most once per `ttlMs`, or sooner when invalidated: for queries the DAG changes slowly. */
export class TtlCache<T> {
  #cached: { at: number; value: T } | undefined;

  constructor(private readonly ttlMs: number) {}

  /** The value at `now` (ms): the cached one while fresh, else `read()`. */
  get(now: number, read: () => T): T {
    if (this.#cached === undefined || now - this.#cached.at >= this.ttlMs) this.#cached = { at: now, value: read() };
    return this.#cached.value;
  }

  /** Forget the value: the next `get` reads. */
  invalidate(): void {
    this.#cached = undefined;
  }
}
