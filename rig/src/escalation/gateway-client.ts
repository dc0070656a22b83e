import {
  EscalationRequestSchema,
  err,
  signRequest,
  type EscalationRequestInput,
  type Runtime,
} from '@rigmind/protocol';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import {
  interpretExchange,
  parseError,
  retryAfterMsOf,
  type Exchange,
  type GatewayResult,
  type WithdrawResult,
} from './gateway-reply.js';

export type {
  GatewayAnswer,
  GatewayFailureCode,
  GatewayFailureDetail,
  GatewayResult,
  WithdrawResult,
} from './gateway-reply.js';

/** The subset of fetch the client uses; undici's by default. */
export type ClientFetch = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    dispatcher?: Dispatcher;
    signal?: AbortSignal;
  },
) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** Settings of the client. I/O is injectable so tests need no module mocks. */
export interface GatewayClientOptions {
  readonly baseUrl: string;
  readonly rigId: string;
  readonly secret: string;
  readonly fetch?: ClientFetch;
  readonly dispatcher?: Dispatcher;
  /** The clock that signs and times polls, the sleep between polls, and the id that makes each nonce. */
  readonly runtime: Pick<Runtime, 'now' | 'sleep' | 'id'>;
  /** Wait between polls of a pending escalation. */
  readonly pollIntervalMs?: number;
  /** Give up polling after this long (the escalation stays at the gateway; poll again later with its id). */
  readonly pollTimeoutMs?: number;
  /** Longest one HTTP exchange may take (the gateway may be retrying upstream meanwhile). */
  readonly requestTimeoutMs?: number;
  /**
   * Called when the client starts (or stops) signing with the gateway's clock instead of its own: the skew in
   * ms (gateway minus rig), 0 once the clocks agree again. The rig is air-gapped and may have no time sync.
   */
  readonly onClockSkew?: (skewMs: number) => void;
}

/**
 * Skews under this are left alone: the gateway's Date header has whole seconds and the exchange takes time, so
 * a correction this small would be noise, and the gateway accepts minutes.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 30_000;
const DATE_RESOLUTION_MS = 1_000;

/**
 * The rig's client for its gateway: signs each request with the shared HMAC scheme, posts an escalation,
 * follows a 202 by polling, and returns every outcome as a value parsed with the protocol's schemas.
 */
export class GatewayClient {
  readonly #fetch: ClientFetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #nonce: () => string;
  readonly #base: string;
  /** Added to the rig's clock when signing: what the gateway's clock was seen to be ahead by. */
  #skewMs = 0;
  /** The gateway's clock minus the rig's, as the last reply showed it. */
  #seenSkewMs: number | undefined;

  constructor(private readonly options: GatewayClientOptions) {
    this.#fetch = options.fetch ?? ((url, init) => undiciFetch(url, init));
    const { runtime } = options;
    this.#now = () => runtime.now();
    this.#sleep = (ms) => runtime.sleep(ms);
    this.#nonce = () => runtime.id();
    this.#base = options.baseUrl.replace(/\/+$/, '');
  }

  /** Send an escalation and wait for its advice (polling if the gateway defers it, until `signal` aborts). */
  async escalate(request: EscalationRequestInput, signal?: AbortSignal): Promise<GatewayResult> {
    const parsed = EscalationRequestSchema.safeParse(request);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const message = `invalid escalation request: ${first?.path.join('.') ?? ''}: ${first?.message ?? ''}`;
      return err('refused', message, { retryable: false });
    }
    const exchange = await this.#send('POST', '/v1/escalations', JSON.stringify(parsed.data));
    const result = interpretExchange(exchange, undefined);
    if (result.ok && result.value.response.state === 'pending') return this.poll(result.value.response.id, signal);
    return result;
  }

  /** Poll an accepted escalation until it is no longer pending, the poll timeout passes or `signal` aborts. */
  async poll(id: string, signal?: AbortSignal): Promise<GatewayResult> {
    const interval = this.options.pollIntervalMs ?? 2_000;
    const deadline = this.#now() + (this.options.pollTimeoutMs ?? 10 * 60_000);
    // Bounded: one poll per interval (or per the gateway's Retry-After, when later) until the deadline.
    for (;;) {
      const result = await this.fetchEscalation(id);
      const pending = result.ok
        ? result.value.response.state === 'pending'
        : result.code === 'unreachable' || result.code === 'server_error';
      if (!pending) return result;
      const wait = Math.max(interval, result.ok ? (result.value.retryAfterMs ?? 0) : 0);
      if (this.#now() + wait > deadline || signal?.aborted === true) {
        const after = result.ok ? result.value.retryAfterMs : undefined;
        const next = after === undefined ? {} : { retryAfterMs: after };
        const message = `escalation ${id} still pending at the gateway`;
        return err('timeout', message, { retryable: true, escalationId: id, ...next });
      }
      await this.#sleep(wait);
    }
  }

  /** One GET of an escalation; a pending one comes back as `ok` with state `pending`. */
  async fetchEscalation(id: string): Promise<GatewayResult> {
    return interpretExchange(await this.#send('GET', `/v1/escalations/${encodeURIComponent(id)}`, ''), id);
  }

  /** The escalation the gateway made under this rig's idempotency key (for a rig whose reply was lost). */
  async findByKey(key: string): Promise<GatewayResult> {
    return interpretExchange(
      await this.#send('GET', `/v1/escalations?idempotency_key=${encodeURIComponent(key)}`, ''),
      undefined,
    );
  }

  /**
   * Withdraw an escalation still waiting at the gateway (its task was canceled), so it is never delivered or paid
   * for. `settled`: too late, it was answered or failed; `missing`: the gateway has no such escalation.
   */
  async withdraw(id: string): Promise<WithdrawResult> {
    const exchange = await this.#send('DELETE', `/v1/escalations/${encodeURIComponent(id)}`, '');
    if (exchange.kind === 'network') return { outcome: 'later', message: `gateway unreachable: ${exchange.message}` };
    const { status } = exchange;
    const error = parseError(exchange.body);
    const message = error?.message ?? `gateway answered HTTP ${status}`;
    if (status === 200) return { outcome: 'withdrawn', message: `escalation ${id} withdrawn` };
    if (status === 404) return { outcome: 'missing', message };
    if (status === 409 && error?.code === 'already_settled') return { outcome: 'settled', message };
    if (status === 409 || status === 429 || status >= 500) {
      const retryAfterMs = retryAfterMsOf(exchange.retryAfter);
      return { outcome: 'later', message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    return { outcome: 'refused', message };
  }

  // A request refused as stale because the clocks disagree is signed again, once, on the gateway's clock; then
  // even a skew under the tolerance is corrected (the gateway's window may be set narrower than the tolerance).
  async #send(method: string, path: string, body: string): Promise<Exchange> {
    const signedWith = this.#skewMs;
    const exchange = await this.#exchange(method, path, body);
    if (exchange.kind !== 'response' || exchange.status !== 401 || parseError(exchange.body)?.code !== 'stale_request')
      return exchange;
    const seen = this.#seenSkewMs;
    if (seen !== undefined && Math.abs(seen - this.#skewMs) >= DATE_RESOLUTION_MS) this.#adopt(Math.round(seen));
    return this.#skewMs === signedWith ? exchange : this.#exchange(method, path, body);
  }

  async #exchange(method: string, path: string, body: string): Promise<Exchange> {
    const headers: Record<string, string> = {
      ...signRequest({
        rigId: this.options.rigId,
        secret: this.options.secret,
        method,
        pathWithQuery: path,
        body,
        now: this.#now() + this.#skewMs,
        nonce: this.#nonce(),
      }),
      accept: 'application/json',
    };
    if (body !== '') headers['content-type'] = 'application/json';
    try {
      const response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(body === '' ? {} : { body }),
        ...(this.options.dispatcher === undefined ? {} : { dispatcher: this.options.dispatcher }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10 * 60_000),
      });
      this.#observeClock(response.headers.get('date'));
      return {
        kind: 'response',
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: await response.text(),
      };
    } catch (error) {
      return {
        kind: 'network',
        message:
          error instanceof Error
            ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}`
            : String(error),
      };
    }
  }

  // Every reply carries the gateway's time (HTTP Date); a rig clock off by more than the tolerance signs with it.
  #observeClock(date: string | null): void {
    const gatewayMs = date === null ? Number.NaN : Date.parse(date);
    if (!Number.isFinite(gatewayMs)) return;
    // Date is truncated to the second: its middle is the better guess.
    const seen = gatewayMs + DATE_RESOLUTION_MS / 2 - this.#now();
    this.#seenSkewMs = seen;
    if (Math.abs(seen) < CLOCK_SKEW_TOLERANCE_MS) {
      // Stop correcting once the clocks agree to the Date header's second; a smaller skew taken up after a stale
      // refusal is kept (readings jitter by about a second), and a wrong one costs one more refused try.
      if (this.#skewMs !== 0 && Math.abs(seen) < 2 * DATE_RESOLUTION_MS) this.#adopt(0);
      return;
    }
    if (Math.abs(seen - this.#skewMs) >= CLOCK_SKEW_TOLERANCE_MS / 10) this.#adopt(Math.round(seen));
  }

  #adopt(skewMs: number): void {
    this.#skewMs = skewMs;
    this.options.onClockSkew?.(skewMs);
  }
}
