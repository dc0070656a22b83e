import { err, ok, type Err, type Ok, type Runtime } from '@rigmind/protocol';
import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import type { ToolDeclaration } from '../advice/advice-tool.js';
import type { TokenUsage } from '../config/prices.js';
import type { GatewayLogger } from '../log/logger.js';
import { EgressRefusedError, type EgressFetch } from './egress.js';
import { parseRetryAfterMs, type HeaderLookup } from './upstream-gate.js';

/** A content block of a turn: text, Claude's tool call, or the gateway's answer to that call. */
export type TurnBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: unknown }
  | {
      readonly type: 'tool_result';
      readonly tool_use_id: string;
      readonly content: string;
      readonly is_error: boolean;
    };

/** One turn sent to Claude. */
export interface ChatTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string | readonly TurnBlock[];
}

/** What one upstream call asks for; `tool`, when set, is declared and forced with `tool_choice`. */
export interface CallRequest {
  readonly model: string;
  readonly maxTokens: number;
  readonly system: string;
  readonly messages: readonly ChatTurn[];
  readonly tool?: ToolDeclaration;
}

/** The tool call in a reply. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

/** Why a call failed, in ledger terms, and whether trying again can help. */
export type CallFailureKind = 'retryable' | 'billing' | 'fatal';

/** Why a call failed, as the ledger and the audit log record it (the `outcome` column). */
export type CallFailureCode =
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'connection_error'
  | 'billing_refused'
  | 'refused'
  | 'malformed'
  | 'egress_refused';

/** What Anthropic's reply said: its text, its tool call, and what it cost in tokens. */
export interface CallReply {
  readonly text: string;
  /** The reply's first call of the requested tool, if it made one. */
  readonly toolCall: ToolCall | undefined;
  readonly usage: TokenUsage;
  readonly stopReason: string | null;
  readonly status: number;
  readonly requestId: string | null;
  readonly header: HeaderLookup;
}

/** What a failed call carries besides its code: how to treat it, and the HTTP facts for the ledger and the gate. */
export interface CallFailureDetail {
  readonly kind: CallFailureKind;
  /** Whether Anthropic may have charged for it (a 200 whose body could not be read). */
  readonly maybeCharged: boolean;
  readonly status: number | null;
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | null;
  readonly header: HeaderLookup;
}

/** The outcome of one HTTP call to Anthropic, as a value. */
export type CallOutcome = Ok<CallReply> | Err<CallFailureCode, CallFailureDetail>;

/** Settings of the SDK client. */
export interface AnthropicClientOptions {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly fetch: EgressFetch;
  /** Where the SDK's own warnings and errors go: the gateway's JSON log, not the console. */
  readonly logger: GatewayLogger;
}

/**
 * The SDK client with its own retries off (the gateway has exactly one retry loop), an explicit base URL
 * (so ANTHROPIC_BASE_URL cannot redirect the key), the egress-guarded fetch, its warnings and errors in the
 * gateway's pino log (a plain-text line among JSON ones breaks every log reader), and tracing off.
 */
export function createAnthropicClient(options: AnthropicClientOptions): Anthropic {
  const sdk = options.logger.child({ source: 'anthropic-sdk' });
  const line =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, ...rest: unknown[]): void => {
      sdk[level](rest.length === 0 ? {} : { detail: rest }, message);
    };
  return new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl,
    maxRetries: 0,
    timeout: options.timeoutMs,
    fetch: options.fetch,
    logger: { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') },
    // Not from ANTHROPIC_LOG: debug lines would carry request bodies, which only the gateway's redaction may log.
    logLevel: 'warn',
    // No spans: the gateway exports no traces, and building a no-op span per call costs CPU on every escalation.
    openTelemetry: false,
  });
}

// Our blocks are the SDK's param blocks in shape; built afresh so the SDK's wider types stay out of the gateway.
function toParam(content: ChatTurn['content']): string | Anthropic.ContentBlockParam[] {
  if (typeof content === 'string') return content;
  return content.map((block): Anthropic.ContentBlockParam => {
    if (block.type === 'text') return { type: 'text', text: block.text };
    if (block.type === 'tool_use') return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    return { type: 'tool_result', tool_use_id: block.tool_use_id, content: block.content, is_error: block.is_error };
  });
}

const BILLING = /billing|credit balance|spend(ing)? limit|insufficient (funds|credit)|payment/i;
const noHeaders: HeaderLookup = () => undefined;

/** Make one Messages API call and classify what happened. Never throws for anything upstream does. */
export async function callAnthropic(
  client: Anthropic,
  request: CallRequest,
  clock: Pick<Runtime, 'now'>,
): Promise<CallOutcome> {
  try {
    const tool = request.tool;
    const body: Anthropic.MessageCreateParamsNonStreaming = {
      model: request.model,
      max_tokens: request.maxTokens,
      system: request.system,
      messages: request.messages.map((turn) => ({ role: turn.role, content: toParam(turn.content) })),
      ...(tool === undefined
        ? {}
        : {
            tools: [{ name: tool.name, description: tool.description, input_schema: tool.input_schema }],
            tool_choice: { type: 'tool', name: tool.name },
          }),
    };
    // Through client.post, not messages.create: create() prints a deprecation notice with console.warn on every
    // call (SDK 1.14.0, outside its logger), a plain-text line in the journal each time. The gateway warns once
    // at start from its own table of retirement days instead, and refuses a retired model.
    const { data, response, request_id } = await client
      .post<Anthropic.Message>('/v1/messages', { body })
      .withResponse();
    const header: HeaderLookup = (name) => response.headers.get(name);
    if (
      !Array.isArray(data.content) ||
      typeof data.usage?.input_tokens !== 'number' ||
      typeof data.usage.output_tokens !== 'number'
    ) {
      return failure(
        'retryable',
        'malformed',
        true,
        response.status,
        request_id,
        'response has no content or usage',
        header,
        clock,
      );
    }
    const text = data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const used = data.content.find((block) => block.type === 'tool_use' && block.name === tool?.name);
    const toolCall = used?.type === 'tool_use' ? { id: used.id, name: used.name, input: used.input } : undefined;
    const usage = data.usage;
    const written = usage.cache_creation_input_tokens ?? 0;
    const split = usage.cache_creation;
    return ok({
      text,
      toolCall,
      usage: {
        input: usage.input_tokens,
        output: usage.output_tokens,
        // Without the TTL breakdown a cache write is billed as the 5-minute tier, the one the API defaults to.
        cacheWrite5m: split ? split.ephemeral_5m_input_tokens : written,
        cacheWrite1h: split ? split.ephemeral_1h_input_tokens : 0,
        cacheRead: usage.cache_read_input_tokens ?? 0,
      },
      stopReason: data.stop_reason,
      status: response.status,
      requestId: request_id ?? null,
      header,
    });
  } catch (error) {
    return classify(error, clock);
  }
}

function classify(error: unknown, clock: Pick<Runtime, 'now'>): CallOutcome {
  if (error instanceof APIConnectionError) {
    if (causeChain(error).some((cause) => cause instanceof EgressRefusedError)) {
      return failure('fatal', 'egress_refused', false, null, null, error.message, noHeaders, clock);
    }
    return failure('retryable', 'connection_error', false, null, null, error.message, noHeaders, clock);
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const header: HeaderLookup = (name) => error.headers?.get(name);
    const requestId = error.requestID ?? null;
    const type = error.type ?? '';
    const text = `${type} ${error.apiMessage ?? error.message}`;
    if (
      type === 'billing_error' ||
      status === 402 ||
      ((status === 400 || status === 403 || status === 429) && BILLING.test(text))
    ) {
      return failure('billing', 'billing_refused', false, status, requestId, text, header, clock);
    }
    if (status === 429) return failure('retryable', 'rate_limited', false, status, requestId, text, header, clock);
    if (status === 529) return failure('retryable', 'overloaded', false, status, requestId, text, header, clock);
    if (status >= 500 || status === 408 || status === 409)
      return failure('retryable', 'server_error', false, status, requestId, text, header, clock);
    return failure('fatal', 'refused', false, status, requestId, text, header, clock);
  }
  // A status line and headers arrived but the body could not be parsed: the call may well have been billed.
  const message = error instanceof Error ? error.message : String(error);
  return failure('retryable', 'malformed', true, null, null, message, noHeaders, clock);
}

function failure(
  kind: CallFailureKind,
  code: CallFailureCode,
  maybeCharged: boolean,
  status: number | null,
  requestId: string | null | undefined,
  message: string,
  header: HeaderLookup,
  clock: Pick<Runtime, 'now'>,
): CallOutcome {
  return err(code, message, {
    kind,
    maybeCharged,
    status,
    retryAfterMs: parseRetryAfterMs(header, clock.now()),
    requestId: requestId ?? null,
    header,
  });
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}
