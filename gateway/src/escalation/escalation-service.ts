import type Anthropic from '@anthropic-ai/sdk';
import {
  EscalationRequestSchema,
  markerFrom,
  type EscalationRequest,
  type Failure,
  type Runtime,
} from '@rigmind/protocol';
import { buildAdvicePrompt } from '../advice/advice-prompt.js';
import { ADVICE_TOOL, adviceFromToolInput } from '../advice/advice-tool.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Ledger } from '../budget/ledger.js';
import type { GatewayConfig } from '../config/config-schema.js';
import { modelLifecycle } from '../config/model-lifecycle.js';
import { priceFor } from '../config/prices.js';
import type { GatewayLogger } from '../log/logger.js';
import type { Atomically } from '../store/open-db.js';
import type { CallRequest, ChatTurn } from '../upstream/anthropic-call.js';
import { retryLoop, type RetryOutcome, type Try } from '../upstream/retry-loop.js';
import type { UpstreamGate } from '../upstream/upstream-gate.js';
import {
  addSpent,
  completedResponse,
  failedDelivery,
  failedResponse,
  recordDelivery,
  repairExchange,
  usageOf,
  type Delivery,
  type EscalationFailureCode,
  type Spent,
} from './delivery.js';
import type { EscalationRow, EscalationStore } from './escalation-store.js';
import {
  markOutcome,
  meteredCall,
  placeCall,
  reserveCall,
  writeSettlements,
  type CallContext,
  type MeterDeps,
  type MeteredFailure,
  type MeteredReply,
  type Reserved,
  type Settlement,
} from './metered-call.js';

export type { Delivery, EscalationFailureCode } from './delivery.js';

/** Injected I/O and collaborators of the service. */
export interface EscalationServiceDeps {
  readonly config: GatewayConfig;
  readonly store: EscalationStore;
  readonly ledger: Ledger;
  readonly audit: AuditLog;
  readonly gate: UpstreamGate;
  readonly client: Anthropic;
  readonly logger: GatewayLogger;
  readonly runtime: Pick<Runtime, 'now' | 'sleep' | 'random'>;
  readonly randomBytes: (size: number) => Buffer;
  readonly atomically: Atomically;
  /**
   * Whether a rig may still spend (not revoked): asked before each retry, since a delivery can outlive a revocation.
   */
  readonly rigActive: (rigId: string) => boolean;
}

/** What a delivery needs before its first call goes out, or the delivery it already is (no price in force). */
export type Begun =
  | {
      readonly ready: true;
      readonly context: CallContext;
      readonly system: string;
      readonly user: string;
      readonly first: Try<Reserved, MeteredFailure>;
    }
  | { readonly ready: false; readonly delivery: Delivery };

/**
 * Turns a stored (redacted) escalation into advice: prompt, a forced call of the advice tool in one retry loop,
 * one repair turn for an input that does not validate (budget permitting), and the final EscalationResponse.
 * Also applies a delivery's result to the outbox.
 */
export class EscalationService {
  readonly #meter: MeterDeps;
  /** Escalations this process is delivering right now (route or outbox): the only process that delivers. */
  readonly #delivering = new Set<string>();

  constructor(private readonly deps: EscalationServiceDeps) {
    this.#meter = { ...deps, bytesPerToken: deps.config.budgets.bytes_per_token_estimate };
  }

  /**
   * The synchronous start of a delivery: price, prompt, and the first call's budget reservation. The route runs
   * it inside the transaction that stores the escalation, so row, audit record and reservation commit together.
   */
  begin(row: EscalationRow, rigName: string, request: EscalationRequest): Begun {
    const { config } = this.deps;
    const today = new Date(this.deps.runtime.now()).toISOString().slice(0, 10);
    // A gateway left running past a retirement day: the call would only earn an error upstream.
    const retired = modelLifecycle(config.prices, [row.model], today).retired[0];
    if (retired !== undefined) {
      const message = `${row.model} was retired on ${retired.retiresOn}; the gateway will not call it`;
      return { ready: false, delivery: failedDelivery(row, 'model_retired', message, []) };
    }
    const price = priceFor(config.prices, row.model, today);
    if (price === undefined) {
      return {
        ready: false,
        delivery: failedDelivery(
          row,
          'model_not_priced',
          `no price in force for ${row.model}; the gateway will not spend without one`,
          [],
        ),
      };
    }
    const context: CallContext = {
      rigId: row.rig_id,
      rigName,
      escalationId: row.id,
      taskId: row.task_id,
      price,
      priceVersion: config.prices.version,
    };
    const prompt = buildAdvicePrompt(request, markerFrom(this.deps.randomBytes(16)));
    const first = reserveCall(
      this.#meter,
      context,
      this.#request(row, prompt.system, [{ role: 'user', content: prompt.user }]),
    );
    return { ready: true, context, system: prompt.system, user: prompt.user, first };
  }

  /**
   * Try to answer one stored escalation now. `begun` is its start when the caller made it (the route, in the
   * transaction that stored the row); otherwise it is made here, from the row's request.
   */
  async deliver(
    row: EscalationRow,
    rigName: string,
    begun: Begun = this.begin(row, rigName, EscalationRequestSchema.parse(JSON.parse(row.request))),
  ): Promise<Delivery> {
    if (!begun.ready) return begun.delivery;
    const settlements: Settlement[] = [];
    this.#delivering.add(row.id);
    try {
      return await this.#deliver(row, begun, settlements);
    } catch (error) {
      // A bug or a broken database: still record the calls made, so their reservations do not hold the budget.
      try {
        this.#flush(settlements);
      } catch (flushError) {
        this.deps.logger.error(
          { err: flushError, escalation_id: row.id },
          'could not record the calls of a failed delivery',
        );
      }
      throw error;
    } finally {
      this.#delivering.delete(row.id);
    }
  }

  /** Whether a call for this escalation may be under way now (a withdrawal must wait for it). */
  isDelivering(id: string): boolean {
    return this.#delivering.has(id);
  }

  async #deliver(
    row: EscalationRow,
    begun: Extract<Begun, { ready: true }>,
    settlements: Settlement[],
  ): Promise<Delivery> {
    const { context, system } = begun;
    const spent: Spent = { usage: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, micro: 0 };
    const turns: ChatTurn[] = [{ role: 'user', content: begun.user }];

    const first = await this.call(context, row, system, turns, settlements, begun.first);
    if (!first.ok) return this.fromFailure(row, first, settlements);
    addSpent(spent, first.value);
    const advice = adviceFromToolInput(first.value.toolCall?.input);
    if (advice.ok) return { kind: 'final', response: completedResponse(row, advice.value, spent), settlements };
    markOutcome(settlements, first.value.reservationId, 'advice_unusable');
    // The repair call's reservation is checked against the first call's actual cost, not its worst case.
    this.#flush(settlements);
    // One repair, and only if its own worst case fits under every cap: a reply that still does not fit is a
    // failure the rig sees as such (advice_unusable, with what it cost), never advice the gateway made up.
    const repair: CallContext = { ...context, purpose: 'repair' };
    const repairTurns: ChatTurn[] = [...turns, ...repairExchange(first.value, advice.message)];
    const reserved = reserveCall(this.#meter, repair, this.#request(row, system, repairTurns));
    if (!reserved.done) {
      return this.unusable(row, `${advice.message}; no repair call: ${reserved.failure.message}`, spent, settlements);
    }
    const second = await this.call(repair, row, system, repairTurns, settlements, reserved);
    if (!second.ok) {
      return this.unusable(
        row,
        `${advice.message}; the repair call failed: ${second.failure.message}`,
        spent,
        settlements,
      );
    }
    addSpent(spent, second.value);
    const repaired = adviceFromToolInput(second.value.toolCall?.input);
    if (repaired.ok) return { kind: 'final', response: completedResponse(row, repaired.value, spent), settlements };
    markOutcome(settlements, second.value.reservationId, 'advice_unusable');
    return this.unusable(row, `after one repair: ${repaired.message}`, spent, settlements);
  }

  // A paid reply that is not advice: failed, with its cost in `usage` so the rig and the reports see what it took.
  private unusable(row: EscalationRow, problem: string, spent: Spent, settlements: readonly Settlement[]): Delivery {
    const message = `Claude's reply could not be used as advice: ${problem}`.slice(0, 20_000);
    const response = { ...failedResponse(row, 'advice_unusable', message), usage: usageOf(spent) };
    return { kind: 'final', response, settlements };
  }

  /** Record a delivery's calls (ledger and audit) and its result (outbox and audit), in one transaction. */
  apply(row: EscalationRow, rigName: string, delivery: Delivery): void {
    this.deps.atomically(() => {
      writeSettlements(this.deps, delivery.settlements);
      recordDelivery(this.deps, row, rigName, delivery);
    });
  }

  // Settlements so far, in their own transaction, when something is about to wait or spend on top of them.
  #flush(settlements: Settlement[]): void {
    if (settlements.length === 0) return;
    this.deps.atomically(() => writeSettlements(this.deps, settlements));
    settlements.length = 0;
  }

  // One retry loop; the first try may use a reservation made beforehand. Settlements are written before any
  // backoff, so a wait never holds a finished call's worst case.
  private async call(
    context: CallContext,
    row: EscalationRow,
    system: string,
    messages: ChatTurn[],
    settlements: Settlement[],
    reserved?: Try<Reserved, MeteredFailure>,
  ): Promise<RetryOutcome<MeteredReply, MeteredFailure>> {
    const { config } = this.deps;
    const request = this.#request(row, system, messages);
    const policy = {
      attempts: config.retry.attempts,
      baseMs: config.retry.base_ms,
      capMs: config.retry.cap_ms,
      maxRetryAfterMs: config.retry.max_retry_after_ms,
    };
    const io = {
      random: () => this.deps.runtime.random(),
      sleep: async (ms: number): Promise<void> => {
        this.#flush(settlements);
        await this.deps.runtime.sleep(ms);
      },
    };
    return retryLoop(policy, io, async (n) => {
      // A rig revoked during the backoff gets no further call: nothing more is spent on its behalf.
      if (n > 1 && !this.deps.rigActive(context.rigId)) {
        const message = 'the rig was revoked before its escalation was delivered';
        return { done: false, retryable: false, retryAfterMs: undefined, failure: { reason: 'rig_revoked', message } };
      }
      if (n > 1 || reserved === undefined) return meteredCall(this.#meter, context, request, settlements);
      return reserved.done ? placeCall(this.#meter, context, request, reserved.value, settlements) : reserved;
    });
  }

  #request(row: EscalationRow, system: string, messages: readonly ChatTurn[]): CallRequest {
    return { model: row.model, maxTokens: row.max_tokens, system, messages, tool: ADVICE_TOOL };
  }

  // Only the first call's failure lands here; a failed repair call ends the escalation as advice_unusable.
  private fromFailure(
    row: EscalationRow,
    outcome: Failure<RetryOutcome<MeteredReply, MeteredFailure>>,
    settlements: readonly Settlement[],
  ): Delivery {
    const { reason, message } = outcome.failure;
    if (reason === 'unreachable') return { kind: 'deferred', message, settlements };
    if (reason === 'budget_exceeded' || reason === 'ledger_unavailable') {
      return {
        kind: 'refused',
        code: reason,
        message,
        response: failedResponse(row, reason, message),
        settlements,
      };
    }
    return failedDelivery(row, reason === 'billing_refused' ? 'upstream_billing' : reason, message, settlements);
  }

  /** A delivery that ends a stored escalation as failed with `code`, without calling upstream. */
  ended(row: EscalationRow, code: EscalationFailureCode, message: string): Delivery {
    return failedDelivery(row, code, message, []);
  }
}
