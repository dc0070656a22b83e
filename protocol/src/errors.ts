import type { Ok } from './result.js';

/** Stable codes for a frame or document that protocol refuses. */
export type ProtocolErrorCode =
  | 'frame_too_large'
  | 'too_deep'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'invalid_message'
  | 'version_mismatch'
  | 'dispatch_forbidden'
  | 'unexpected_sender';

/** One problem in a refused message: where (a dotted path) and what. */
export interface ProtocolIssue {
  readonly path: string;
  readonly message: string;
}

/** A refused message, as a value: a stable code, a sentence, and the issues behind it. */
export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  readonly message: string;
  readonly issues: readonly ProtocolIssue[];
  /** The refused frame's msg_id when it could be recovered, so the refusal answers its request. */
  readonly re?: string | undefined;
}

/**
 * A parse that either yields a value or says why not. The failure stays nested under `error` rather than being a
 * flat Err: the brain reads `parsed.error.code`, and it moves to Result with the store refactor, not before.
 */
export type Parsed<T> = Ok<T> | { readonly ok: false; readonly error: ProtocolError };

/** Render a zod-style path (`["tasks", 3, "priority"]`) as `tasks[3].priority`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}
