import { err, type Err, type Result } from '@rigmind/protocol';

/**
 * Stable codes for what Ollama can do to a caller: a missing model (404), nothing listening, another
 * status with Ollama's own `error` text, no answer in time, an answer that is not what the API documents,
 * a model that would not leave VRAM in time, or the caller's own cancel.
 */
export type OllamaErrorCode =
  | 'model_not_found'
  | 'ollama_unreachable'
  | 'ollama_error'
  | 'timeout'
  | 'bad_response'
  | 'unload_timeout'
  | 'aborted';

/** What a failure may carry besides its code and message. */
export interface OllamaFailureExtra {
  /** The HTTP status, when there was one. */
  readonly status?: number;
  /** Ollama's `{"error": "..."}` text, verbatim. */
  readonly ollamaError?: string;
  /** For unload_timeout: what was still not done, the /api/ps listing or the VRAM check. */
  readonly pending?: 'ps' | 'vram';
}

/** An expected failure, as a value. */
export type OllamaFailure = Err<OllamaErrorCode, OllamaFailureExtra>;

/** A call's outcome: a value or a failure with a code. */
export type OllamaResult<T> = Result<T, OllamaErrorCode, OllamaFailureExtra>;

/** Build a failure, leaving out fields that have no value (exactOptionalPropertyTypes). */
export function ollamaFailure(
  code: OllamaErrorCode,
  message: string,
  extra: { status?: number | undefined; ollamaError?: string | undefined; pending?: 'ps' | 'vram' | undefined } = {},
): OllamaFailure {
  return err(code, message, {
    ...(extra.status === undefined ? {} : { status: extra.status }),
    ...(extra.ollamaError === undefined ? {} : { ollamaError: extra.ollamaError }),
    ...(extra.pending === undefined ? {} : { pending: extra.pending }),
  });
}
