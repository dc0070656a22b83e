import {
  createMessage,
  err,
  ok,
  encodeMessage,
  mayDecide,
  parseMessage,
  type Advice,
  type EscalationReason,
  type EscalationRequestInput,
} from '@rigmind/protocol';
import type { BrainCore, EscalationHooks, ManualEscalation } from '../brain/brain-context.js';
import type { BrainEffect } from '../brain/effects.js';
import { reopenDependents } from '../store/operator-actions.js';
import { isTerminal } from '../store/attempt-log.js';
import type { EscalationRow, EscalationStore } from '../store/escalations.js';
import type { TaskRow } from '../store/rows.js';
import { insertAdvisedSubtasks } from './advised-subtasks.js';
import { writeAnswerOutput } from './answer-output.js';
import type { GatewayClient, GatewayResult } from './gateway-client.js';
import { buildHandoff } from './handoff.js';
import { whyNotByHand } from './manual-escalation.js';
import { gatewayRetryDelay } from './retry-delay.js';
import { Withdrawals } from './withdrawals.js';

const SENSITIVE_CAUSE = 'sensitive task: the plan does not allow escalating it (allow_external_sensitive)';

/** Where advice-made work is said to come from. */
export const EXTERNAL_SOURCE = 'external:gateway';

/**
 * The brain's side of the escalation path. A task goes to `waiting_external`, its handoff goes to the gateway,
 * and the advice comes back into the brain only: an answer completes the task, subtasks are validated like a
 * plan and dispatched by the brain, a decline fails the task (or holds it for a person). While the gateway is
 * unreachable the task waits, retried with backoff, and the wait survives a brain restart.
 */
export class Escalator implements EscalationHooks {
  readonly #rows: EscalationStore;
  /** Requests under way, by task; aborting one stops its polling (its task was canceled). */
  readonly #inFlight = new Map<string, AbortController>();
  readonly #work = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;

  readonly #withdrawals: Withdrawals;

  constructor(
    private readonly ctx: BrainCore,
    private readonly client: GatewayClient,
  ) {
    this.#rows = ctx.store.escalations;
    this.#withdrawals = new Withdrawals(ctx, client, this.#rows, {
      busy: (taskId) => this.#inFlight.has(taskId),
      track: (taskId, request) => this.#track(taskId, new AbortController(), request),
    });
  }

  /** Resume escalations left in flight by an earlier brain, and start the retry timer. */
  start(): void {
    // In the brain's transaction wrapper: a full disk pauses this timer's writes instead of throwing out of it.
    this.#timer = setInterval(() => this.ctx.atomically(() => this.#due()), 250);
    this.#due();
  }

  /** Stop the timer and wait for requests under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.allSettled([...this.#work]);
  }

  escalate(taskId: string, reason: EscalationReason): readonly BrainEffect[] | undefined {
    const row = this.ctx.store.task(taskId);
    if (
      row === undefined ||
      isTerminal(row.status) ||
      row.status === 'leased' ||
      row.status === 'running' ||
      row.status === 'waiting_external'
    )
      return undefined;
    if (!this.#mayLeave(row)) return reason === 'requires_external' ? this.#fail(row, SENSITIVE_CAUSE) : undefined;
    this.#hand(row, reason);
    this.#send(taskId);
    return [];
  }

  escalateByHand(taskId: string): ManualEscalation {
    const { ctx } = this;
    const row = ctx.store.task(taskId);
    if (row === undefined) return err('not_found', `no task '${taskId}'`);
    const why = whyNotByHand(row, this.#rows.get(taskId)?.state, this.#mayLeave(row));
    if (why !== undefined) return err('not_escalatable', `task '${taskId}' ${why}`);
    const reopened = ctx.store.transaction(() => {
      const dependents = row.status === 'failed' ? reopenDependents(ctx.store, ctx.transitions, row) : [];
      this.#hand(row, 'manual');
      return dependents;
    });
    this.#send(taskId);
    return ok([taskId, ...reopened]);
  }

  // A sensitive task leaves the rig only if its plan allows it.
  #mayLeave(row: TaskRow): boolean {
    return row.sensitive !== 1 || this.ctx.store.plan(row.plan_id)?.allow_external_sensitive === 1;
  }

  // The task leaves the queue and waits for the gateway, under a new handoff (new key).
  #hand(row: TaskRow, reason: EscalationReason): void {
    const { ctx } = this;
    ctx.queue.remove(row.task_id);
    ctx.retryAt.delete(row.task_id);
    ctx.transitions.waitExternal(row, `escalated: ${reason}`, reason);
    this.#rows.begin(row.task_id, reason);
  }

  /** A task released after its advised subtasks completed: it is done, nothing of it runs locally again. */
  onReleased(row: TaskRow): readonly BrainEffect[] | undefined {
    if (this.#rows.get(row.task_id)?.state !== 'awaiting_subtasks') return undefined;
    this.#rows.setState(row.task_id, 'done', null);
    const effect = this.ctx.transitions.completeDirectly(
      row.task_id,
      'completed by the subtasks advised by the external tier',
      EXTERNAL_SOURCE,
      'advised subtasks completed',
    );
    return [{ kind: 'finished', taskId: row.task_id, effect }];
  }

  /**
   * Tasks canceled by a person: what the gateway accepted for them (or may have, with a send under way) is
   * withdrawn so it is not delivered and paid for later; anything else of theirs is over.
   */
  onCanceled(taskIds: readonly string[]): void {
    for (const taskId of taskIds) {
      const escalation = this.#rows.get(taskId);
      if (escalation === undefined || escalation.state === 'done') continue;
      const inFlight = this.#inFlight.get(taskId);
      // Sent at least once (its request kept), or being sent: the gateway may hold an escalation for it.
      if (
        escalation.state === 'sending' &&
        (escalation.escalation_id !== null || escalation.handoff !== null || inFlight !== undefined)
      ) {
        this.#rows.withdrawing(taskId, 'task canceled: withdrawing it at the gateway');
        inFlight?.abort();
        this.#withdrawals.run(taskId);
      } else {
        this.#rows.setState(taskId, 'done', 'task canceled');
      }
    }
  }

  #due(): void {
    for (const row of this.#rows.due(this.ctx.runtime.now())) {
      if (row.state === 'sending') this.#send(row.task_id);
      else this.#withdrawals.run(row.task_id);
    }
  }

  #send(taskId: string): void {
    if (this.#inFlight.has(taskId)) return;
    const row = this.ctx.store.task(taskId);
    const escalation = this.#rows.get(taskId);
    if (row === undefined || escalation === undefined || escalation.state !== 'sending') return;
    if (row.status !== 'waiting_external') {
      this.#rows.setState(taskId, 'done', `task ${row.status}`);
      return;
    }
    const controller = new AbortController();
    const request =
      escalation.escalation_id !== null
        ? this.client.poll(escalation.escalation_id, controller.signal)
        : this.client.escalate(this.#handoff(row, escalation), controller.signal);
    // The reply is applied in a transaction of its own, through the brain's one place for effects.
    this.#track(
      taskId,
      controller,
      request.then((result) => {
        this.ctx.applyLater(() => this.#settle(taskId, result));
      }),
    );
  }

  // In memory only: a brain killed mid-request finds the escalation due again when it restarts.
  #track(taskId: string, controller: AbortController, request: Promise<void>): void {
    this.#inFlight.set(taskId, controller);
    const work = request
      .catch((error: unknown) => this.ctx.logger.error({ err: error, task_id: taskId }, 'escalation handling failed'))
      .finally(() => {
        this.#inFlight.delete(taskId);
        this.#work.delete(work);
      });
    this.#work.add(work);
  }

  // Built at the first try and kept, so every try sends the same request under the same key.
  #handoff(row: TaskRow, escalation: EscalationRow): EscalationRequestInput {
    if (escalation.handoff !== null) return JSON.parse(escalation.handoff) as EscalationRequestInput;
    const request: EscalationRequestInput = {
      ...buildHandoff(row, this.ctx.store.attempts(row.task_id), escalation.reason),
      ...(escalation.idempotency_key === null ? {} : { idempotency_key: escalation.idempotency_key }),
    };
    this.#rows.keepHandoff(row.task_id, JSON.stringify(request));
    return request;
  }

  #settle(taskId: string, result: GatewayResult): readonly BrainEffect[] {
    const { ctx } = this;
    const escalation = this.#rows.get(taskId);
    if (escalation?.state === 'withdrawing') {
      // Canceled while this was under way: what it learnt of the gateway's id is what the withdrawal needs.
      const id = result.ok ? result.value.response.id : result.escalationId;
      if (escalation.escalation_id === null && id !== undefined) this.#rows.learnId(taskId, id);
      return [];
    }
    const row = ctx.store.task(taskId);
    if (row === undefined || row.status !== 'waiting_external') return [];
    if (result.ok && result.value.response.state === 'completed' && result.value.response.advice !== undefined) {
      // Advice enters through protocol like any frame: as a message from the gateway, under the dispatch rule.
      const frame = encodeMessage(
        createMessage(
          'advice',
          { role: 'gateway', id: 'gateway' },
          { escalation_id: result.value.response.id, task_id: taskId, advice: result.value.response.advice },
        ),
      );
      const parsed = parseMessage(frame, { from: ['gateway'] });
      if (!parsed.ok || parsed.value.kind !== 'advice')
        return this.#fail(row, `invalid advice: ${parsed.ok ? parsed.value.kind : parsed.error.message}`);
      // The decision rule: what comes from Claude is advice, applied only as advice once validated (parsed above).
      const allowed = mayDecide('gateway', 'advise', { validated: true, approved: false });
      if (!allowed.ok) return this.#fail(row, allowed.message);
      return this.#apply(row, parsed.value.advice);
    }
    if (result.ok) {
      const error = result.value.response.error;
      return this.#retryOrFail(
        row,
        result.value.response.state === 'pending',
        result.value.response.id,
        error ? `${error.code}: ${error.message}` : `escalation ${result.value.response.state}`,
      );
    }
    return this.#retryOrFail(
      row,
      result.retryable,
      result.escalationId,
      `${result.code}: ${result.message}`,
      result.retryAfterMs,
    );
  }

  // `notBeforeMs`: the gateway's Retry-After (its next try upstream, or its rate limit); asking sooner is wasted.
  #retryOrFail(
    row: TaskRow,
    retryable: boolean,
    escalationId: string | undefined,
    why: string,
    notBeforeMs = 0,
  ): readonly BrainEffect[] {
    const { ctx } = this;
    if (!retryable) return this.#fail(row, `escalation failed: ${why}`);
    const tries = (this.#rows.get(row.task_id)?.tries ?? 0) + 1;
    const delay = gatewayRetryDelay(ctx.config.escalation, tries, () => ctx.runtime.random(), notBeforeMs);
    const nextAt = ctx.runtime.now() + delay;
    this.#rows.retryLater(row.task_id, nextAt, escalationId, why);
    const cause = `waiting for the gateway (${why}); next try in ${Math.round(delay / 1000)}s`;
    ctx.transitions.waitOn(row.task_id, cause);
    ctx.events.emit({
      event_type: 'escalation_failed',
      plan_id: row.plan_id,
      task_id: row.task_id,
      plan_task_id: row.name,
      cause,
      duration_ms: delay,
    });
    return [];
  }

  #apply(row: TaskRow, advice: Advice): readonly BrainEffect[] {
    const { ctx } = this;
    const base = { plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name };
    ctx.events.emit({ event_type: 'task_advised', ...base, cause: advice.type });
    if (advice.type === 'answer') {
      // Before the task completes: its dependents are released with it and read the file.
      const unwritten = writeAnswerOutput(row, advice.text);
      if (unwritten !== undefined) return this.#fail(row, unwritten);
      this.#rows.setState(row.task_id, 'done', null);
      const answered = 'answered by the external tier';
      const effect = ctx.transitions.completeDirectly(row.task_id, advice.text, EXTERNAL_SOURCE, answered);
      return [{ kind: 'finished', taskId: row.task_id, effect }];
    }
    if (advice.type === 'decline') {
      if (ctx.config.escalation.on_decline !== 'hold')
        return this.#fail(row, `declined by the external tier: ${advice.reason}`);
      this.#rows.setState(row.task_id, 'held', advice.reason);
      ctx.transitions.waitOn(row.task_id, `declined by the external tier, held for a person: ${advice.reason}`);
      return [];
    }
    const inserted = insertAdvisedSubtasks(
      ctx.store,
      ctx.transitions,
      ctx.resolvePlan,
      row,
      advice.tasks,
      EXTERNAL_SOURCE,
    );
    if (!inserted.ok) return this.#fail(row, inserted.message);
    this.#rows.setState(row.task_id, 'awaiting_subtasks', inserted.value.names.join(', '));
    return [{ kind: 'release', taskIds: inserted.value.queued }];
  }

  // The escalation is over; the task fails where it is (the brain's `fail` effect announces it and cascades).
  #fail(row: TaskRow, cause: string): readonly BrainEffect[] {
    this.#rows.setState(row.task_id, 'done', cause);
    return [{ kind: 'fail', taskId: row.task_id, cause }];
  }
}
