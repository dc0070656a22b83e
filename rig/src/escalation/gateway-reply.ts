import { EscalationResponseSchema, err, ok, type EscalationResponse, type Result } from '@rigmind/protocol';

/** Why an escalation did not come back with advice. */
export type GatewayFailureCode =
  | 'unreachable'
  | 'unauthorized'
  | 'refused'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'failed'
  | 'timeout'
  | 'server_error'
  | 'invalid_response';

/** An escalation's outcome, as a value: advice, or why not and whether asking again later can help. */
export type GatewayResult = Result<GatewayAnswer, GatewayFailureCode, GatewayFailureDetail>;

/** The gateway's answer to an escalation: advice, or a pending escalation to poll. */
export interface GatewayAnswer {
  readonly response: EscalationResponse;
  /**
   * For a pending escalation: when the gateway next tries it upstream (its Retry-After); polling sooner learns
   * nothing.
   */
  readonly retryAfterMs?: number;
}

/** What every gateway failure says besides its code: whether asking again can help, and what the gateway said. */
export interface GatewayFailureDetail {
  readonly retryable: boolean;
  /** The gateway's own error code, when it sent one (e.g. stale_request, upstream_billing). */
  readonly gatewayCode?: string;
  readonly retryAfterMs?: number;
  /** Set once the gateway has accepted the escalation: poll it with {@link GatewayClient.poll}. */
  readonly escalationId?: string;
}

/** What asking the gateway to withdraw an escalation came to; `later`: ask again (unreachable, or a call under way). */
export type WithdrawResult =
  | { readonly outcome: 'withdrawn' | 'settled' | 'missing' | 'refused'; readonly message: string }
  | { readonly outcome: 'later'; readonly message: string; readonly retryAfterMs?: number };

/** One HTTP exchange with the gateway: its status, Retry-After and body, or the network error that ended it. */
export type Exchange =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter: string | null; readonly body: string }
  | { readonly kind: 'network'; readonly message: string };

/**
 * What one exchange with the gateway came to: its response parsed with the protocol's schema, or the failure its
 * status, body and Retry-After describe. `knownId` is the escalation asked about, carried into a failure.
 */
export function interpretExchange(exchange: Exchange, knownId: string | undefined): GatewayResult {
  const withId = knownId === undefined ? {} : { escalationId: knownId };
  if (exchange.kind === 'network')
    return err('unreachable', `gateway unreachable: ${exchange.message}`, { retryable: true, ...withId });
  const { status } = exchange;
  if (status === 200 || status === 202) {
    const parsed = EscalationResponseSchema.safeParse(safeJson(exchange.body));
    if (!parsed.success)
      return err('invalid_response', `gateway sent an invalid escalation response (HTTP ${status})`, {
        retryable: false,
        ...withId,
      });
    const response = parsed.data;
    if (response.state === 'failed') {
      return err('failed', response.error?.message ?? 'escalation failed', {
        retryable: false,
        escalationId: response.id,
        ...(response.error ? { gatewayCode: response.error.code } : {}),
      });
    }
    const retryAfterMs = response.state === 'pending' ? retryAfterMsOf(exchange.retryAfter) : undefined;
    return ok(retryAfterMs === undefined ? { response } : { response, retryAfterMs });
  }
  const error = parseError(exchange.body);
  const message = error?.message ?? `gateway answered HTTP ${status}`;
  const said = { ...(error ? { gatewayCode: error.code } : {}), ...withId };
  if (status === 401) return err('unauthorized', message, { retryable: false, ...said });
  if (status === 402) return err('budget_exceeded', message, { retryable: false, ...said });
  if (status === 429) {
    const retryAfterMs = retryAfterMsOf(exchange.retryAfter);
    return err('rate_limited', message, {
      retryable: true,
      ...said,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500) return err('server_error', message, { retryable: true, ...said });
  return err('refused', message, { retryable: false, ...said });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A Retry-After header in seconds (the gateway sends no dates), as ms; undefined when absent or not a number. */
export function retryAfterMsOf(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** The gateway's `{ error: { code, message } }` body, when a reply has one. */
export function parseError(text: string): { code: string; message: string } | undefined {
  const body = safeJson(text) as { error?: { code?: unknown; message?: unknown } } | undefined;
  const code = body?.error?.code;
  const message = body?.error?.message;
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
}
