import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { ErrorBodySchema } from './ollama-schemas.js';
import { ollamaFailure, type OllamaFailure, type OllamaResult } from './ollama-result.js';

/** Where Ollama is and how to reach it; the dispatcher is injectable (an Agent with limits, a MockAgent). */
export interface OllamaTransport {
  readonly baseUrl: string;
  readonly dispatcher?: Dispatcher;
}

/** One call's limits: an overall deadline and the caller's cancel. */
export interface CallLimits {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** An open response: a 2xx status with its body still to read, and the cleanup to run when done. */
export interface OpenResponse {
  readonly body: Dispatcher.ResponseData['body'];
  /** Turn an error thrown while reading the body into a value (timeout, abort, connection lost). */
  readonly classify: (error: unknown) => OllamaFailure;
  readonly done: () => void;
}

const TIMEOUT = Symbol('ollama-timeout');

/**
 * Open a request and map every expected failure to a value. Undici's own header and body timeouts are off:
 * a 14B model takes over two minutes to load before the first byte, so the one deadline is ours.
 */
export async function openRequest(
  transport: OllamaTransport,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  limits: CallLimits,
): Promise<OllamaResult<OpenResponse>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMEOUT), limits.timeoutMs);
  const onCallerAbort = (): void => controller.abort(limits.signal?.reason);
  limits.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (limits.signal?.aborted) onCallerAbort();
  const done = (): void => {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onCallerAbort);
  };
  const classify = (error: unknown): OllamaFailure => {
    if (controller.signal.aborted) {
      return controller.signal.reason === TIMEOUT
        ? ollamaFailure('timeout', `${method} ${path}: no complete answer within ${limits.timeoutMs} ms`)
        : ollamaFailure('aborted', `${method} ${path}: canceled by the caller`);
    }
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('UND_ERR'))) {
      return ollamaFailure(
        'ollama_unreachable',
        `${method} ${path}: ${code} ${(error as Error).message} (${transport.baseUrl})`,
      );
    }
    // Anything else (a bad URL, a TypeError) is a bug in the caller or here: not a value.
    throw error;
  };

  let response: Dispatcher.ResponseData;
  try {
    // undici is loaded on the first call: it adds ~20 MB to a process, and a worker that never talks to Ollama
    // (cpu and script work) forks each task faster without it.
    const { request } = await import('undici');
    response = await request(new URL(path, transport.baseUrl), {
      method,
      ...(transport.dispatcher ? { dispatcher: transport.dispatcher } : {}),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: controller.signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  } catch (error) {
    done();
    return classify(error);
  }

  if (response.statusCode >= 200 && response.statusCode < 300) {
    return { ok: true, value: { body: response.body, classify, done } };
  }
  try {
    const text = await response.body.text();
    return statusFailure(method, path, response.statusCode, text);
  } catch (error) {
    return classify(error);
  } finally {
    done();
  }
}

/** A non-2xx reply as a value: 404 is a missing model, anything else carries Ollama's error text. */
function statusFailure(method: string, path: string, status: number, text: string): OllamaFailure {
  let ollamaError: string | undefined;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) ollamaError = parsed.data.error;
  } catch {
    // Not JSON: a proxy or a crash page; the raw text below says what it was.
  }
  const said = ollamaError ?? text.slice(0, 300);
  if (status === 404)
    return ollamaFailure('model_not_found', `${method} ${path}: 404 ${said}`, { status, ollamaError });
  return ollamaFailure('ollama_error', `${method} ${path}: ${status} ${said}`, { status, ollamaError });
}

/** Make a request and validate its single JSON reply. */
export async function requestJson<S extends z.ZodType>(
  transport: OllamaTransport,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  schema: S,
  limits: CallLimits,
): Promise<OllamaResult<z.infer<S>>> {
  const opened = await openRequest(transport, method, path, body, limits);
  if (!opened.ok) return opened;
  const { body: stream, classify, done } = opened.value;
  let text: string;
  try {
    text = await stream.text();
  } catch (error) {
    return classify(error);
  } finally {
    done();
  }
  return parseJson(text, schema, `${method} ${path}`);
}

/**
 * Parse and validate one JSON document; an `{error}` body is Ollama's own failure, anything else off-schema is
 * bad_response.
 */
export function parseJson<S extends z.ZodType>(text: string, schema: S, where: string): OllamaResult<z.infer<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return ollamaFailure('bad_response', `${where}: not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const error = ErrorBodySchema.safeParse(raw);
  if (error.success)
    return ollamaFailure('ollama_error', `${where}: ${error.data.error}`, { ollamaError: error.data.error });
  const issue = parsed.error.issues[0];
  return ollamaFailure(
    'bad_response',
    `${where}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`,
  );
}
