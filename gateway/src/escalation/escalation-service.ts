import type Anthropic from '@anthropic-ai/sdk';
import { EscalationRequestSchema, type Advice, type EscalationRequest, type EscalationResponse } from '@rigmind/protocol';
import { buildAdvicePrompt, repairTurn } from '../advice/advice-prompt.js';
import { parseAdvice } from '../advice/parse-advice.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Ledger } from '../budget/ledger.js';
import type { GatewayConfig } from '../config/config-schema.js';
import { microToUsd, priceFor, type TokenUsage } from '../config/prices.js';
import type { GatewayLogger } from '../log/logger.js';
import type { Atomically } from '../store/open-db.js';
import { markerFrom } from '../sanitize/spotlight.js';
import type { ChatTurn } from '../upstream/anthropic-call.js';
import { backoffMs, retryLoop, type RetryOutcome } from '../upstream/retry-loop.js';
import type { UpstreamGate } from '../upstream/upstream-gate.js';
import type { EscalationRow, EscalationStore } from './escalation-store.js';
import { meteredCall, type CallContext, type MeteredFailure, type MeteredReply } from './metered-call.js';

/** Injected I/O and collaborators of the service. */
export interface EscalationServiceDeps {
  readonly config: GatewayConfig;
  readonly store: EscalationStore;
  readonly ledger: Ledger;
  readonly audit: AuditLog;
  readonly gate: UpstreamGate;
  readonly client: Anthropic;
  readonly logger: GatewayLogger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly randomBytes: (size: number) => Buffer;
  readonly atomically: Atomically;
}

/** What a delivery attempt ended in. `refused` means no answer and no call made for it (budget or ledger). */
export type Delivery =
  | { readonly kind: 'final'; readonly response: EscalationResponse }
  | { readonly kind: 'deferred'; readonly message: string }
  | { readonly kind: 'refused'; readonly code: 'budget_exceeded' | 'ledger_unavailable'; readonly message: string; readonly response: EscalationResponse };

/** Sum of usage over the calls an escalation made. */
interface Spent {
  usage: TokenUsage;
  micro: number;
}

/**
 * Turns a stored (redacted) escalation into advice: prompt, metered calls in one retry loop, one repair turn
 * for an invalid reply, and the final EscalationResponse. Also applies a delivery's result to the outbox.
 */
export class EscalationService {
  constructor(private readonly deps: EscalationServiceDeps) {}

  /**
   * Try to answer one stored escalation now. `request` is the row's request already parsed, when the caller
   * has it (the route, which just stored it); otherwise it is read back from the row.
   */
  async deliver(row: EscalationRow, rigName: string, request: EscalationRequest = EscalationRequestSchema.parse(JSON.parse(row.request))): Promise<Delivery> {
    const { config } = this.deps;
    const price = priceFor(config.prices, row.model, new Date(this.deps.now()).toISOString().slice(0, 10));
    if (price === undefined) {
      return this.failed(row, 'model_not_priced', `no price in force for ${row.model}; the gateway will not spend without one`);
    }
    const context: CallContext = { rigId: row.rig_id, rigName, escalationId: row.id, taskId: row.task_id, price, priceVersion: config.prices.version };
    const prompt = buildAdvicePrompt(request, markerFrom(this.deps.randomBytes(16)));
    const spent: Spent = { usage: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, micro: 0 };
    const turns: ChatTurn[] = [{ role: 'user', content: prompt.user }];

    const first = await this.call(context, row, prompt.system, turns);
    if (!first.ok) return this.fromFailure(row, first);
    add(spent, first.value);
    let parsed = parseAdvice(first.value.text);
    if (!parsed.ok) {
      // One repair turn: show the model what was wrong. A second failure becomes a decline, never a guess.
      const repairTurns: ChatTurn[] = [...turns, { role: 'assistant', content: first.value.text }, { role: 'user', content: repairTurn(parsed.problem) }];
      const second = await this.call(context, row, prompt.system, repairTurns);
      if (second.ok) {
        add(spent, second.value);
        parsed = parseAdvice(second.value.text);
      }
      if (!parsed.ok) {
        const problem = parsed.problem;
        const advice: Advice = { type: 'decline', reason: `the external tier's reply could not be used: ${problem}`.slice(0, 20_000) };
        return { kind: 'final', response: this.completed(row, advice, spent) };
      }
    }
    return { kind: 'final', response: this.completed(row, parsed.advice, spent) };
  }

  /** Record a delivery's result in the outbox and the audit log, in one transaction. */
  apply(row: EscalationRow, rigName: string, delivery: Delivery): void {
    this.deps.atomically(() => this.#apply(row, rigName, delivery));
  }

  #apply(row: EscalationRow, rigName: string, delivery: Delivery): void {
    const now = this.deps.now();
    const { store, audit, config } = this.deps;
    if (delivery.kind === 'deferred') {
      const deliveries = row.deliveries + 1;
      if (deliveries >= config.outbox.max_attempts) {
        const response = this.failedResponse(row, 'upstream_unreachable', `gave up after ${deliveries} deliveries: ${delivery.message}`);
        store.finish(row.id, response, now);
        audit.append('escalation_failed', rigName, { escalation_id: row.id, code: 'upstream_unreachable', deliveries });
        return;
      }
      const wait = Math.max(config.outbox.base_ms / 2, backoffMs(deliveries, config.outbox.base_ms, config.outbox.cap_ms, this.deps.random));
      store.defer(row.id, now + wait, now);
      audit.append('escalation_deferred', rigName, { escalation_id: row.id, deliveries, retry_in_ms: Math.round(wait), why: delivery.message });
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

  private async call(context: CallContext, row: EscalationRow, system: string, messages: ChatTurn[]): Promise<RetryOutcome<MeteredReply, MeteredFailure>> {
    const { config } = this.deps;
    const meter = { ...this.deps, bytesPerToken: config.budgets.bytes_per_token_estimate };
    const policy = { attempts: config.retry.attempts, baseMs: config.retry.base_ms, capMs: config.retry.cap_ms, maxRetryAfterMs: config.retry.max_retry_after_ms };
    return retryLoop(policy, this.deps, () => meteredCall(meter, context, { model: row.model, maxTokens: row.max_tokens, system, messages }));
  }

  // Only the first call's failure lands here; a failed repair call becomes a decline instead.
  private fromFailure(row: EscalationRow, outcome: Extract<RetryOutcome<MeteredReply, MeteredFailure>, { ok: false }>): Delivery {
    const { reason, message } = outcome.failure;
    if (reason === 'unreachable') return { kind: 'deferred', message };
    if (reason === 'budget_exceeded' || reason === 'ledger_unavailable') {
      return { kind: 'refused', code: reason, message, response: this.failedResponse(row, reason, message) };
    }
    return this.failed(row, reason === 'billing_refused' ? 'upstream_billing' : reason, message);
  }

  private failed(row: EscalationRow, code: string, message: string): Delivery {
    return { kind: 'final', response: this.failedResponse(row, code, message) };
  }

  private failedResponse(row: EscalationRow, code: string, message: string): EscalationResponse {
    return { id: row.id, state: 'failed', proposed_by: 'gateway', error: { code, message }, model: row.model };
  }

  private completed(row: EscalationRow, advice: Advice, spent: Spent): EscalationResponse {
    const u = spent.usage;
    return {
      id: row.id,
      state: 'completed',
      proposed_by: 'gateway',
      advice,
      model: row.model,
      usage: {
        input_tokens: u.input,
        output_tokens: u.output,
        cache_creation_input_tokens: u.cacheWrite5m + u.cacheWrite1h,
        cache_read_input_tokens: u.cacheRead,
        usd: microToUsd(spent.micro),
      },
    };
  }
}

function add(spent: Spent, reply: MeteredReply): void {
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
