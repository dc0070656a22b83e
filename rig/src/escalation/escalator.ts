import { createMessage, encodeMessage, parseMessage, type Advice, type EscalationReason, type EscalationRequestInput } from '@rigmind/protocol';
import { applyEffect, release } from '../brain/apply-effect.js';
import type { BrainContext, EscalationHooks, ManualEscalation } from '../brain/brain-context.js';
import { backoffDelay } from '../store/backoff.js';
import { reopenDependents } from '../store/operator-actions.js';
import { isTerminal } from '../store/transitions.js';
import type { TaskRow } from '../store/rows.js';
import { insertAdvisedSubtasks } from './advised-subtasks.js';
import { EscalationStore, type EscalationRow } from './escalation-store.js';
import type { GatewayClient, GatewayResult } from './gateway-client.js';
import { buildHandoff } from './handoff.js';

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
  readonly #inFlight = new Set<string>();
  readonly #work = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: BrainContext,
    private readonly client: GatewayClient,
  ) {
    this.#rows = new EscalationStore(ctx.store);
  }

  /** Resume escalations left in flight by an earlier brain, and start the retry timer. */
  start(): void {
    this.#timer = setInterval(() => this.#due(), 250);
    this.#due();
  }

  /** Stop the timer and wait for requests under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await Promise.allSettled([...this.#work]);
  }

  escalate(taskId: string, reason: EscalationReason): boolean {
    const row = this.ctx.store.task(taskId);
    if (row === undefined || isTerminal(row.status) || row.status === 'leased' || row.status === 'running' || row.status === 'waiting_external') return false;
    if (!this.#mayLeave(row)) {
      if (reason === 'requires_external') {
        this.#fail(row, SENSITIVE_CAUSE);
        return true;
      }
      return false;
    }
    this.#hand(row, reason);
    this.#send(taskId);
    return true;
  }

  escalateByHand(taskId: string): ManualEscalation {
    const { ctx } = this;
    const row = ctx.store.task(taskId);
    if (row === undefined) return { ok: false, code: 'not_found', message: `no task '${taskId}'` };
    const why = this.#whyNotByHand(row);
    if (why !== undefined) return { ok: false, code: 'not_escalatable', message: `task '${taskId}' ${why}` };
    const reopened = ctx.store.db.transaction(() => {
      const dependents = row.status === 'failed' ? reopenDependents(ctx.store, row) : [];
      this.#hand(row, 'manual');
      return dependents;
    })();
    this.#send(taskId);
    return { ok: true, affected: [taskId, ...reopened] };
  }

  // Why a person may not escalate this task now; undefined when they may.
  #whyNotByHand(row: TaskRow): string | undefined {
    switch (row.status) {
      case 'completed':
        return 'is completed';
      case 'canceled':
        return 'was canceled; `rigmind retry` it first';
      case 'blocked':
        return 'is waiting for the tasks it depends on; escalate it once they are done';
      case 'leased':
      case 'running':
        return 'is running; escalate it if it fails, or cancel it first';
      case 'waiting_external':
        if (this.#rows.get(row.task_id)?.state !== 'held') return 'is already with the external tier';
    }
    if (!this.#mayLeave(row)) return `is sensitive, and plan '${row.plan_id}' does not allow escalating it (allow_external_sensitive)`;
    return undefined;
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
    ctx.transitions.setStatus(row.task_id, 'waiting_external', `escalated: ${reason}`);
    this.#rows.begin(row.task_id, reason);
    ctx.events.emit({ event_type: 'task_escalated', plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name, cause: reason });
  }

  /** A task released after its advised subtasks completed: it is done, nothing of it runs locally again. */
  onReleased(row: TaskRow): boolean {
    if (this.#rows.get(row.task_id)?.state !== 'awaiting_subtasks') return false;
    this.#rows.setState(row.task_id, 'done', null);
    const effect = this.ctx.transitions.completeDirectly(row.task_id, 'completed by the subtasks advised by the external tier', EXTERNAL_SOURCE);
    this.ctx.events.emit({ event_type: 'task_completed', plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name, cause: 'advised subtasks completed' });
    applyEffect(this.ctx, row.task_id, effect);
    return true;
  }

  #due(): void {
    const now = this.ctx.now();
    for (const row of this.#rows.sending()) if (row.next_at <= now) this.#send(row.task_id);
  }

  #send(taskId: string): void {
    if (this.#inFlight.has(taskId)) return;
    const row = this.ctx.store.task(taskId);
    const escalation = this.#rows.get(taskId);
    if (row === undefined || escalation === undefined || escalation.state !== 'sending' || row.status !== 'waiting_external') return;
    // In memory only: a brain killed mid-try must find the escalation due again when it restarts.
    this.#inFlight.add(taskId);
    const request = escalation.escalation_id !== null ? this.client.poll(escalation.escalation_id) : this.client.escalate(this.#handoff(row, escalation));
    const work = request
      .then((result) => this.#settle(taskId, result))
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

  #settle(taskId: string, result: GatewayResult): void {
    const { ctx } = this;
    const row = ctx.store.task(taskId);
    if (row === undefined || row.status !== 'waiting_external') return;
    if (result.ok && result.response.state === 'completed' && result.response.advice !== undefined) {
      // Advice enters through protocol like any frame: as a message from the gateway, under the dispatch rule.
      const frame = encodeMessage(createMessage('advice', { role: 'gateway', id: 'gateway' }, { escalation_id: result.response.id, task_id: taskId, advice: result.response.advice }));
      const parsed = parseMessage(frame, { from: ['gateway'] });
      if (!parsed.ok || parsed.value.kind !== 'advice') {
        this.#fail(row, `invalid advice: ${parsed.ok ? parsed.value.kind : parsed.error.message}`);
        return;
      }
      this.#apply(row, parsed.value.advice);
      return;
    }
    if (result.ok) {
      const error = result.response.error;
      this.#retryOrFail(row, result.response.state === 'pending', result.response.id, error ? `${error.code}: ${error.message}` : `escalation ${result.response.state}`);
      return;
    }
    this.#retryOrFail(row, result.retryable, result.escalationId, `${result.code}: ${result.message}`);
  }

  #retryOrFail(row: TaskRow, retryable: boolean, escalationId: string | undefined, why: string): void {
    const { ctx } = this;
    if (!retryable) {
      this.#fail(row, `escalation failed: ${why}`);
      return;
    }
    const tries = (this.#rows.get(row.task_id)?.tries ?? 0) + 1;
    const { retry_base_ms: base_ms, retry_cap_ms: cap_ms } = ctx.config.escalation;
    const delay = Math.max(base_ms / 2, backoffDelay({ base_ms, cap_ms }, tries));
    const nextAt = ctx.now() + delay;
    this.#rows.retryLater(row.task_id, nextAt, escalationId, why);
    const cause = `waiting for the gateway (${why}); next try in ${Math.round(delay / 1000)}s`;
    ctx.transitions.setStatus(row.task_id, 'waiting_external', cause);
    ctx.events.emit({ event_type: 'escalation_failed', plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name, cause, duration_ms: delay });
  }

  #apply(row: TaskRow, advice: Advice): void {
    const { ctx } = this;
    const base = { plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name };
    ctx.events.emit({ event_type: 'task_advised', ...base, cause: advice.type });
    if (advice.type === 'answer') {
      this.#rows.setState(row.task_id, 'done', null);
      const effect = ctx.transitions.completeDirectly(row.task_id, advice.text, EXTERNAL_SOURCE);
      ctx.events.emit({ event_type: 'task_completed', ...base, cause: 'answered by the external tier' });
      applyEffect(ctx, row.task_id, effect);
      return;
    }
    if (advice.type === 'decline') {
      if (ctx.config.escalation.on_decline === 'hold') {
        this.#rows.setState(row.task_id, 'held', advice.reason);
        ctx.transitions.setStatus(row.task_id, 'waiting_external', `declined by the external tier, held for a person: ${advice.reason}`);
      } else {
        this.#fail(row, `declined by the external tier: ${advice.reason}`);
      }
      return;
    }
    const inserted = insertAdvisedSubtasks(ctx.store, ctx.resolvePlan, row, advice.tasks, EXTERNAL_SOURCE);
    if (!inserted.ok) {
      this.#fail(row, inserted.reason);
      return;
    }
    this.#rows.setState(row.task_id, 'awaiting_subtasks', inserted.names.join(', '));
    release(ctx, inserted.queued);
  }

  #fail(row: TaskRow, cause: string): void {
    const { ctx } = this;
    this.#rows.setState(row.task_id, 'done', cause);
    const effect = ctx.transitions.failDirectly(row.task_id, cause);
    ctx.events.emit({ event_type: 'task_failed', plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name, cause });
    applyEffect(ctx, row.task_id, effect);
  }
}
