import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';

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

/**
 * The gateway's only way out: every request goes through an undici Agent guarded by {@link originGuard}, and the
 * URL is checked before dispatch as well, so neither a stray base URL nor a redirect can reach another host.
 */
export function createEgress(upstreamBaseUrl: string, base: Dispatcher = new Agent({ keepAliveTimeout: 30_000 })): Egress {
  const origin = new URL(upstreamBaseUrl).origin;
  const dispatcher = base.compose(originGuard(origin));
  const guardedFetch: EgressFetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== origin) throw new EgressRefusedError(url.origin);
    // undici's fetch and Node's global fetch are separate copies of the same implementation; the shapes match.
    const response = await undiciFetch(url, { ...(init as Record<string, unknown>), dispatcher, redirect: 'error' } as Parameters<typeof undiciFetch>[1]);
    return response as unknown as Response;
  };
  return { origin, fetch: guardedFetch, dispatcher, close: () => base.close() };
}
