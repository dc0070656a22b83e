/** A reply's header fields as undici's request API hands them over: lower-case names, repeated fields as arrays. */
export type RawReplyHeaders = Record<string, string | string[] | undefined>;

/**
 * A reply's headers behind the fetch `Headers` interface, read-only as a `Response`'s are. Node's `Headers`
 * converts and checks every name and value as it is built and sorts them again on every `entries()`, which the SDK
 * calls on every reply (with its logging off, too); these are built from the header object undici has already
 * parsed, and sorted once, when first iterated. Repeated fields read as one value joined with ", ", as in fetch,
 * except `set-cookie`, which `getSetCookie()` lists and iteration yields one by one.
 */
export class ReplyHeaders implements Headers {
  readonly #values = new Map<string, string>();
  readonly #cookies: string[] = [];
  #sorted: [string, string][] | undefined;

  constructor(raw: RawReplyHeaders) {
    for (const key in raw) {
      const value = raw[key];
      if (value === undefined) continue;
      const name = key.toLowerCase();
      const items = Array.isArray(value) ? value : [value];
      if (name === 'set-cookie') this.#cookies.push(...items);
      const joined = items.join(', ');
      const before = this.#values.get(name);
      this.#values.set(name, before === undefined ? joined : `${before}, ${joined}`);
    }
  }

  /** From name/value pairs (names in any case). */
  static fromPairs(pairs: Iterable<readonly [string, string]>): ReplyHeaders {
    const raw: Record<string, string[]> = {};
    for (const [name, value] of pairs) (raw[name.toLowerCase()] ??= []).push(value);
    return new ReplyHeaders(raw);
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  getSetCookie(): string[] {
    return [...this.#cookies];
  }

  forEach(callbackfn: (value: string, key: string, iterable: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.#entries()) callbackfn.call(thisArg, value, name, this);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#entries()[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return this.#entries()
      .map(([name]) => name)
      [Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return this.#entries()
      .map(([, value]) => value)
      [Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  // A reply's headers are immutable, as fetch's are ("immutable" guard): changing them is a bug.
  append(): never {
    return this.#immutable();
  }

  set(): never {
    return this.#immutable();
  }

  delete(): never {
    return this.#immutable();
  }

  // Fetch's order: sorted by name, set-cookie fields one entry each.
  #entries(): [string, string][] {
    if (this.#sorted === undefined) {
      const sorted: [string, string][] = [];
      for (const name of [...this.#values.keys()].sort()) {
        if (name === 'set-cookie') for (const cookie of this.#cookies) sorted.push([name, cookie]);
        else sorted.push([name, this.#values.get(name) as string]);
      }
      this.#sorted = sorted;
    }
    return this.#sorted;
  }

  #immutable(): never {
    throw new TypeError("a reply's headers are immutable");
  }
}
