import type { Advice, EscalationResponse, Runtime } from '@rigmind/protocol';
import { repairTurn } from '../advice/advice-prompt.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { GatewayConfig } from '../config/config-schema.js';
import { microToUsd, type TokenUsage } from '../config/prices.js';
import type { ChatTurn, TurnBlock } from '../upstream/anthropic-call.js';
import { backoffMs } from '../upstream/retry-loop.js';
import type { EscalationRow, EscalationStore } from './escalation-store.js';
import type { MeteredReply, Settlement } from './metered-call.js';

/**
 * Why a stored escalation ended failed (its response's `error.code`): the model cannot be called, the reply was
 * no advice, upstream stayed unreachable or refused, the budget or ledger said no, or the rig went away.
 * `withdrawn` is the rig's own (the DELETE route sets it). The wire keeps a string, as for every error code.
 */
export type EscalationFailureCode =
  | 'model_retired'
  | 'model_not_priced'
  | 'advice_unusable'
  | 'upstream_unreachable'
  | 'upstream_billing'
  | 'budget_exceeded'
  | 'ledger_unavailable'
  | 'refused'
  | 'egress_refused'
  | 'rig_revoked'
  | 'withdrawn';

/**
 * What a delivery attempt ended in. `refused` means no answer and no call made for it (budget or ledger).
 * `settlements` are the calls' ledger rows and audit records, written by {@link EscalationService.apply}.
 */
export type Delivery = (
  | { readonly kind: 'final'; readonly response: EscalationResponse }
  | { readonly kind: 'deferred'; readonly message: string }
  | {
      readonly kind: 'refused';
      readonly code: 'budget_exceeded' | 'ledger_unavailable';
      readonly message: string;
      readonly response: EscalationResponse;
    }
) & { readonly settlements: readonly Settlement[] };

/** Sum of usage over the calls an escalation made. */
export interface Spent {
  usage: TokenUsage;
  micro: number;
}

/** What recording a delivery needs: the outbox, the audit log, the outbox's settings, and time and jitter. */
export interface RecordDeps {
  readonly config: GatewayConfig;
  readonly store: EscalationStore;
  readonly audit: AuditLog;
  readonly runtime: Pick<Runtime, 'now' | 'random'>;
}

/**
 * Record what a delivery came to in the outbox and the audit log: a final response, or a deferral with backoff
 * (a failure once the outbox's attempts are spent). Run inside the caller's transaction.
 */
export function recordDelivery(deps: RecordDeps, row: EscalationRow, rigName: string, delivery: Delivery): void {
  const now = deps.runtime.now();
  const { store, audit, config } = deps;
  if (delivery.kind === 'deferred') {
    const deliveries = row.deliveries + 1;
    if (deliveries >= config.outbox.max_attempts) {
      const response = failedResponse(
        row,
        'upstream_unreachable',
        `gave up after ${deliveries} deliveries: ${delivery.message}`,
      );
      store.finish(row.id, response, now);
      audit.append('escalation_failed', rigName, { escalation_id: row.id, code: 'upstream_unreachable', deliveries });
      return;
    }
    const wait = Math.max(
      config.outbox.base_ms / 2,
      backoffMs(deliveries, config.outbox.base_ms, config.outbox.cap_ms, () => deps.runtime.random()),
    );
    store.defer(row.id, now + wait, now);
    audit.append('escalation_deferred', rigName, {
      escalation_id: row.id,
      deliveries,
      retry_in_ms: Math.round(wait),
      why: delivery.message,
    });
    return;
  }
  store.finish(row.id, delivery.response, now);
  const state = delivery.response.state;
  audit.append(state === 'completed' ? 'escalation_completed' : 'escalation_failed', rigName, {
    escalation_id: row.id,
    state,
    advice: delivery.response.advice?.type,
    error: delivery.response.error?.code,
    usd: delivery.response.usage?.usd ?? 0,
  });
}

/** The response that ends a stored escalation as failed with `code`. */
export function failedResponse(row: EscalationRow, code: EscalationFailureCode, message: string): EscalationResponse {
  return { id: row.id, state: 'failed', proposed_by: 'gateway', error: { code, message }, model: row.model };
}

/** A final delivery that fails the escalation with `code`, with the calls it made. */
export function failedDelivery(
  row: EscalationRow,
  code: EscalationFailureCode,
  message: string,
  settlements: readonly Settlement[],
): Delivery {
  return { kind: 'final', response: failedResponse(row, code, message), settlements };
}

/** The response that completes a stored escalation with advice, and what it cost. */
export function completedResponse(row: EscalationRow, advice: Advice, spent: Spent): EscalationResponse {
  return { id: row.id, state: 'completed', proposed_by: 'gateway', advice, model: row.model, usage: usageOf(spent) };
}

/** What an escalation's calls used, in the wire's terms. */
export function usageOf(spent: Spent): NonNullable<EscalationResponse['usage']> {
  const u = spent.usage;
  return {
    input_tokens: u.input,
    output_tokens: u.output,
    cache_creation_input_tokens: u.cacheWrite5m + u.cacheWrite1h,
    cache_read_input_tokens: u.cacheRead,
    usd: microToUsd(spent.micro),
  };
}

/**
 * The reply as Claude sent it, then the gateway's answer: a tool call gets an error tool_result (the API wants one
 * after every tool_use); a reply without the call gets the problem as text.
 */
export function repairExchange(reply: MeteredReply, problem: string): ChatTurn[] {
  const call = reply.toolCall;
  if (call === undefined) {
    return [
      { role: 'assistant', content: reply.text === '' ? '(no reply)' : reply.text },
      { role: 'user', content: repairTurn(problem) },
    ];
  }
  const said: TurnBlock[] = reply.text === '' ? [] : [{ type: 'text', text: reply.text }];
  return [
    { role: 'assistant', content: [...said, { type: 'tool_use', id: call.id, name: call.name, input: call.input }] },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: call.id, content: repairTurn(problem), is_error: true }],
    },
  ];
}

/** Add one reply's usage and cost to what an escalation has spent. */
export function addSpent(spent: Spent, reply: MeteredReply): void {
  const u = spent.usage;
  spent.usage = {
    input: u.input + reply.usage.input,
    output: u.output + reply.usage.output,
    cacheWrite5m: u.cacheWrite5m + reply.usage.cacheWrite5m,
    cacheWrite1h: u.cacheWrite1h + reply.usage.cacheWrite1h,
    cacheRead: u.cacheRead + reply.usage.cacheRead,
  };
  spent.micro += reply.microUsd;
}
