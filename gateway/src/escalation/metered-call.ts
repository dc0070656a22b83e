import type { Runtime } from '@rigmind/protocol';
import type Anthropic from '@anthropic-ai/sdk';
import type { AuditLog } from '../audit/audit-log.js';
import type { Ledger, LedgerEntry } from '../budget/ledger.js';
import { costMicroUsd, microToUsd, type ModelPrice, type TokenUsage } from '../config/prices.js';
import type { GatewayLogger } from '../log/logger.js';
import { callAnthropic, type CallRequest, type ToolCall } from '../upstream/anthropic-call.js';
import type { Try } from '../upstream/retry-loop.js';
import { isThrottled, type UpstreamGate } from '../upstream/upstream-gate.js';

/** A successful, paid-for call. */
export interface MeteredReply {
  readonly text: string;
  readonly toolCall: ToolCall | undefined;
  /** The call's reservation, which names its settlement until that is written. */
  readonly reservationId: number;
  readonly usage: TokenUsage;
  readonly microUsd: number;
  readonly stopReason: string | null;
}

/** Why a metered call did not produce a reply. */
export interface MeteredFailure {
  readonly reason:
    | 'budget_exceeded'
    | 'ledger_unavailable'
    | 'billing_refused'
    | 'refused'
    | 'egress_refused'
    | 'unreachable'
    | 'rig_revoked';
  readonly message: string;
}

/** Everything one call needs besides the request. */
export interface MeterDeps {
  readonly client: Anthropic;
  readonly gate: UpstreamGate;
  readonly ledger: Ledger;
  readonly audit: AuditLog;
  readonly logger: GatewayLogger;
  readonly runtime: Pick<Runtime, 'now'>;
  readonly bytesPerToken: number;
}

/** Who and what a call is for, and its price. */
export interface CallContext {
  readonly rigId: string;
  readonly rigName: string;
  readonly escalationId: string;
  readonly taskId: string;
  readonly price: ModelPrice;
  readonly priceVersion: string;
  /** Recorded on the call's ledger row and audit record; default advice. */
  readonly purpose?: 'advice' | 'repair';
}

// The API adds its own tool-use system prompt when tools are given: a few hundred tokens, counted generously.
const TOOL_USE_OVERHEAD_TOKENS = 600;

/** Worst-case input tokens: UTF-8 bytes over a conservative bytes-per-token, plus framing and the tool's schema. */
export function estimateInputTokens(request: CallRequest, bytesPerToken: number): number {
  let bytes = Buffer.byteLength(request.system);
  for (const turn of request.messages) {
    const text = typeof turn.content === 'string' ? turn.content : JSON.stringify(turn.content);
    bytes += Buffer.byteLength(text) + 16;
  }
  const tool = request.tool === undefined ? 0 : Buffer.byteLength(JSON.stringify(request.tool));
  return Math.ceil((bytes + tool) / bytesPerToken) + 32 + (request.tool === undefined ? 0 : TOOL_USE_OVERHEAD_TOKENS);
}

/** A call's reservation: its id and the worst case it holds. */
export interface Reserved {
  readonly reservationId: number;
  readonly estimatedTokens: number;
  readonly worstCaseMicro: number;
}

/**
 * A finished call's ledger row (replacing its reservation) and `upstream_call` audit record, not yet written:
 * {@link writeSettlements} writes them in the transaction that records what the delivery came to.
 */
export interface Settlement {
  readonly reservationId: number;
  readonly entry: LedgerEntry;
  readonly rigName: string;
  readonly audit: Record<string, unknown>;
}

/**
 * Reserve the worst case of one call. Synchronous, so the first call's reservation can commit with the
 * escalation's outbox row. A ledger error is a refusal: no call is made without a reservation (fail closed).
 */
export function reserveCall(
  deps: MeterDeps,
  context: CallContext,
  request: CallRequest,
): Try<Reserved, MeteredFailure> {
  const estimatedTokens = estimateInputTokens(request, deps.bytesPerToken);
  const worstCaseMicro = costMicroUsd(context.price, {
    input: estimatedTokens,
    output: request.maxTokens,
    cacheWrite5m: 0,
    cacheWrite1h: 0,
    cacheRead: 0,
  });
  try {
    const reserved = deps.ledger.reserve(
      {
        rigId: context.rigId,
        escalationId: context.escalationId,
        taskId: context.taskId,
        model: request.model,
        priceVersion: context.priceVersion,
        microUsd: worstCaseMicro,
      },
      deps.runtime.now(),
    );
    if (!reserved.ok) {
      const message =
        `${reserved.scope} budget: ${microToUsd(reserved.committedMicro).toFixed(6)} of ` +
        `${microToUsd(reserved.capMicro).toFixed(2)} USD committed; this call may cost up to ` +
        `${microToUsd(worstCaseMicro).toFixed(6)} USD`;
      return {
        done: false,
        retryable: false,
        retryAfterMs: undefined,
        failure: { reason: 'budget_exceeded', message },
      };
    }
    return { done: true, value: { reservationId: reserved.value, estimatedTokens, worstCaseMicro } };
  } catch (error) {
    deps.logger.error({ err: error, escalation_id: context.escalationId }, 'ledger failed: refusing to call upstream');
    return {
      done: false,
      retryable: false,
      retryAfterMs: undefined,
      failure: { reason: 'ledger_unavailable', message: 'the cost ledger is unavailable' },
    };
  }
}

/**
 * Make a reserved call through the gate. Its settlement goes to `settlements` for the caller to write; until then
 * the reservation keeps holding the worst case, so the budget errs on the safe side. A call the gate throttles
 * never left: its reservation is released at once.
 */
export async function placeCall(
  deps: MeterDeps,
  context: CallContext,
  request: CallRequest,
  reserved: Reserved,
  settlements: Settlement[],
): Promise<Try<MeteredReply, MeteredFailure>> {
  const started = performance.now();
  const result = await deps.gate.run(reserved.estimatedTokens, () => callAnthropic(deps.client, request, deps.runtime));
  if (isThrottled(result)) {
    deps.ledger.release(reserved.reservationId);
    return {
      done: false,
      retryable: true,
      retryAfterMs: result.retryAfterMs,
      failure: { reason: 'unreachable', message: `upstream rate limit resets in ${result.retryAfterMs} ms` },
    };
  }
  const latencyMs = performance.now() - started;
  // The HTTP facts both halves carry, for the gate, the ledger and the audit log.
  const http = result.ok ? result.value : result;
  deps.gate.observe(http.header);
  const none: TokenUsage = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
  const usage = result.ok ? result.value.usage : none;
  // A body that could not be read may still have been billed: count the worst case rather than nothing.
  const microUsd = result.ok ? costMicroUsd(context.price, usage) : result.maybeCharged ? reserved.worstCaseMicro : 0;
  const outcome = result.ok ? 'ok' : result.code;
  settlements.push({
    reservationId: reserved.reservationId,
    entry: {
      ts: deps.runtime.now(),
      rigId: context.rigId,
      escalationId: context.escalationId,
      taskId: context.taskId,
      model: request.model,
      usage,
      priceVersion: context.priceVersion,
      microUsd,
      latencyMs,
      outcome,
      httpStatus: http.status,
      requestId: http.requestId,
      purpose: context.purpose ?? 'advice',
    },
    rigName: context.rigName,
    audit: {
      escalation_id: context.escalationId,
      model: request.model,
      outcome,
      http_status: http.status,
      request_id: http.requestId,
      usd: microToUsd(microUsd),
      latency_ms: Math.round(latencyMs),
      purpose: context.purpose ?? 'advice',
    },
  });
  deps.logger.info(
    {
      escalation_id: context.escalationId,
      outcome,
      status: http.status,
      request_id: http.requestId,
      latency_ms: Math.round(latencyMs),
    },
    'upstream call',
  );

  if (result.ok) {
    const { text, toolCall, stopReason } = result.value;
    return {
      done: true,
      value: { text, toolCall, reservationId: reserved.reservationId, usage, microUsd, stopReason },
    };
  }
  const reason: MeteredFailure['reason'] =
    result.kind === 'billing'
      ? 'billing_refused'
      : result.code === 'egress_refused'
        ? 'egress_refused'
        : result.kind === 'fatal'
          ? 'refused'
          : 'unreachable';
  return {
    done: false,
    retryable: result.kind === 'retryable',
    retryAfterMs: result.retryAfterMs,
    failure: { reason, message: result.message },
  };
}

/** One upstream call under the budget: reserve the worst case, then call (one try of the retry loop). */
export async function meteredCall(
  deps: MeterDeps,
  context: CallContext,
  request: CallRequest,
  settlements: Settlement[],
): Promise<Try<MeteredReply, MeteredFailure>> {
  const reserved = reserveCall(deps, context, request);
  return reserved.done ? placeCall(deps, context, request, reserved.value, settlements) : reserved;
}

/**
 * Mark a finished call's settlement, not yet written, with another outcome: a paid reply whose content could not
 * be used is `advice_unusable` in the ledger and the audit, not `ok`.
 */
export function markOutcome(settlements: Settlement[], reservationId: number, outcome: string): void {
  const index = settlements.findIndex((settlement) => settlement.reservationId === reservationId);
  const found = settlements[index];
  if (found === undefined) return;
  settlements[index] = { ...found, entry: { ...found.entry, outcome }, audit: { ...found.audit, outcome } };
}

/** Write settlements: each reservation becomes its ledger row, with its audit record. Call inside a transaction. */
export function writeSettlements(deps: Pick<MeterDeps, 'ledger' | 'audit'>, settlements: readonly Settlement[]): void {
  for (const settlement of settlements) {
    deps.ledger.settle(settlement.reservationId, settlement.entry);
    deps.audit.append('upstream_call', settlement.rigName, settlement.audit);
  }
}
