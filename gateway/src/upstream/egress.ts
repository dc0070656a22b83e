import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { BufferedResponse } from './buffered-response.js';
import { ReplyHeaders } from './reply-headers.js';

/** A request to a host other than the configured upstream. A bug or an attack, never a normal outcome. */
export class EgressRefusedError extends Error {
  /** Stable code. */
  readonly code = 'egress_refused';
  constructor(readonly origin: string) {
    super(`egress to ${origin} refused: the gateway talks only to its configured upstream`);
    this.name = 'EgressRefusedError';
  }
}

/** The fetch signature the Anthropic SDK and the rest of the gateway use. */
export type EgressFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** An undici interceptor that refuses every dispatch whose origin is not `allowedOrigin`, redirects included. */
export function originGuard(allowedOrigin: string): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function guardedDispatch(options, handler) {
      // The gateway's own calls pass the origin string it was built with: equal, no URL to parse.
      if (options.origin === allowedOrigin) return dispatch(options, handler);
      const origin = options.origin === undefined ? '' : new URL(String(options.origin)).origin;
      if (origin !== allowedOrigin) {
        const error = new EgressRefusedError(origin);
        if (handler.onResponseError !== undefined) handler.onResponseError(null as never, error);
        else handler.onError?.(error);
        return false;
      }
      return dispatch(options, handler);
    };
}

/** A fetch bound to one origin, on its own connection pool, and the pool to close on shutdown. */
export interface Egress {
  readonly origin: string;
  readonly fetch: EgressFetch;
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type BufferedBody = string | Uint8Array | ArrayBuffer | null | undefined;

function isBuffered(body: unknown): body is BufferedBody {
  return (
    body === null ||
    body === undefined ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer
  );
}

/** Request headers as undici's flat [name, value, ...] list. */
function flatHeaders(headers: RequestInit['headers']): string[] {
  const flat: string[] = [];
  if (headers === undefined || headers === null) return flat;
  for (const [name, value] of headers instanceof Headers ? headers : new Headers(headers)) flat.push(name, value);
  return flat;
}

/**
 * A call with an in-memory body (the SDK's JSON requests) over the dispatcher's request API, the response body
 * read whole into a {@link BufferedResponse}. Same dispatcher, same guard, same abort signal as fetch; a redirect is an
 * error,
 * as with fetch's `redirect: 'error'`. It skips fetch's web-stream machinery, which costs more CPU than the
 * rest of an upstream call on a Pi (the SDK reads non-streamed bodies whole anyway).
 */
async function requestBuffered(dispatcher: Dispatcher, url: URL, init: RequestInit): Promise<Response> {
  const { statusCode, headers, body } = await dispatcher.request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
    headers: flatHeaders(init.headers),
    body: (init.body ?? null) as string | Uint8Array | null,
    signal: init.signal ?? undefined,
  });
  if (REDIRECTS.has(statusCode) && headers.location !== undefined) {
    await body.dump();
    throw new TypeError('fetch failed', { cause: new Error(`unexpected redirect (${statusCode}) from the upstream`) });
  }
  const bytes = new Uint8Array(await body.arrayBuffer());
  const empty = statusCode === 204 || statusCode === 205 || statusCode === 304 || init.method?.toUpperCase() === 'HEAD';
  return new BufferedResponse(empty ? null : bytes, { status: statusCode, headers: new ReplyHeaders(headers) });
}

/**
 * The gateway's only way out: every request goes through an undici Agent guarded by {@link originGuard}, and the
 * URL is checked before dispatch as well, so neither a stray base URL nor a redirect can reach another host.
 * Requests with an in-memory body use the dispatcher's request API directly; anything else goes through
 * undici's fetch on the same dispatcher.
 */
export function createEgress(
  upstreamBaseUrl: string,
  base: Dispatcher = new Agent({ keepAliveTimeout: 30_000 }),
): Egress {
  const origin = new URL(upstreamBaseUrl).origin;
  const dispatcher = base.compose(originGuard(origin));
  const guardedFetch: EgressFetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== origin) throw new EgressRefusedError(url.origin);
    if (!(input instanceof Request) && isBuffered(init?.body)) return requestBuffered(dispatcher, url, init ?? {});
    // undici's fetch and Node's global fetch are separate copies of the same implementation; the shapes match.
    const response = await undiciFetch(url, {
      ...(init as Record<string, unknown>),
      dispatcher,
      redirect: 'error',
    } as Parameters<typeof undiciFetch>[1]);
    return response as unknown as Response;
  };
  return { origin, fetch: guardedFetch, dispatcher, close: () => base.close() };
}
