/** Fields a failure's extras may not redefine: the discriminant, the code and the sentence belong to Err. */
type Reserved = { readonly ok?: never; readonly code?: never; readonly message?: never };

/** No extra fields on a failure. */
export type NoExtra = Record<never, never>;

/** A success carrying `value`. */
export type Ok<T> = { readonly ok: true; readonly value: T };

/** An expected failure: a stable code from a closed union, a sentence for people, and typed extras `X`. */
export type Err<C extends string, X extends object = NoExtra> = {
  readonly ok: false;
  readonly code: C;
  readonly message: string;
} & {
  readonly [K in keyof X]: X[K];
};

/**
 * The one shape for an expected failure. `C` is the module's closed union of codes; `X` adds typed fields every
 * failure carries (e.g. `{ issues }`). When only some codes carry extras, write the union of `Err`s by hand.
 */
export type Result<T, C extends string, X extends object = NoExtra> = Ok<T> | Err<C, X>;

/** The failure half of a result type. */
export type Failure<R> = Extract<R, { readonly ok: false }>;

/** A success. */
export function ok(): Ok<undefined>;
export function ok<T>(value: T): Ok<T>;
export function ok<T>(value?: T): Ok<T | undefined> {
  return { ok: true, value };
}

/** A failure with `code`, `message`, and optionally typed extras (which cannot shadow ok, code or message). */
export function err<const C extends string>(code: C, message: string): Err<C>;
export function err<const C extends string, X extends object & Reserved>(code: C, message: string, extra: X): Err<C, X>;
export function err<C extends string, X extends object>(code: C, message: string, extra?: X): Err<C, X> {
  return { ...extra, ok: false, code, message } as Err<C, X>;
}
