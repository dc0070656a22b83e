import type { TaskRow } from '../store/rows.js';
import type { FinishEffect, PlanFinished } from '../store/transitions.js';
import type { BrainContext } from './brain-context.js';

/** Put a queued task row into the in-memory ready queue (or route it to the escalation path). */
export function enqueue(ctx: BrainContext, row: TaskRow): void {
  if (row.task_class === 'resource') {
    // A load planned for a card as it was then; the scheduler plans anew from the cards as they are now.
    ctx.transitions.cancelResource(row.task_id, 'resource task not run: the scheduler plans loads anew');
    return;
  }
  if (row.requires_external === 1 && row.status === 'queued') {
    if (ctx.escalation !== undefined) {
      ctx.escalation.escalate(row.task_id, 'requires_external');
    } else {
      const cause = 'requires_external, but no gateway is configured (escalation.gateway_url in config.json)';
      ctx.transitions.setStatus(row.task_id, 'waiting_external', cause);
      ctx.events.emit({ event_type: 'task_escalated', plan_id: row.plan_id, task_id: row.task_id, plan_task_id: row.name, cause });
    }
    return;
  }
  ctx.queue.add({
    task_id: row.task_id,
    task_class: row.task_class,
    executor: row.executor,
    priority: row.priority,
    queued_at: row.queued_at ?? ctx.runtime.now(),
    seq: row.seq,
    model: row.model,
    estimate_s: row.estimate_s,
    vram_mb: row.vram_mb,
  });
}

/** Queue tasks by id after a transition released them, announcing each. */
export function release(ctx: BrainContext, taskIds: readonly string[]): void {
  for (const id of taskIds) {
    const row = ctx.store.task(id);
    if (row === undefined || row.status !== 'queued') continue;
    if (ctx.escalation?.onReleased(row) === true) continue;
    ctx.events.emit({ event_type: 'task_released', plan_id: row.plan_id, task_id: id, plan_task_id: row.name });
    enqueue(ctx, row);
  }
  if (taskIds.length > 0) ctx.schedulePump();
}

/** Announce and follow up what a finished attempt (or a lost lease) did to a task. */
export function applyEffect(ctx: BrainContext, taskId: string, effect: FinishEffect, detail: { worker_id?: string; attempt?: number } = {}): void {
  if (effect.kind === 'stale') return;
  if (effect.kind === 'completed') {
    // The busiest path needs nothing of the task's row: releasing reads the dependents' own.
    release(ctx, effect.released);
    if (effect.plan !== undefined) announcePlan(ctx, effect.plan);
    return;
  }
  const row = ctx.store.task(taskId);
  if (row === undefined) return;
  const base = { plan_id: row.plan_id, task_id: taskId, plan_task_id: row.name, ...detail };
  switch (effect.kind) {
    case 'retry':
      if (effect.requeued) {
        // A lost lease: the worker died, the task did not fail, so it does not count towards escalating.
        ctx.events.emit({ event_type: 'task_requeued', ...base, cause: row.cause ?? 'retry' });
        enqueue(ctx, row);
        ctx.schedulePump();
      } else {
        ctx.retryAt.set(taskId, effect.next_attempt_at);
        ctx.events.emit({ event_type: 'task_retry_scheduled', ...base, cause: row.cause ?? 'retry', duration_ms: effect.delay_ms });
        maybeEscalateAfterFailures(ctx, row);
      }
      break;
    case 'failed':
      for (const id of effect.cascaded) {
        const dependent = ctx.store.task(id);
        ctx.queue.remove(id);
        ctx.retryAt.delete(id);
        ctx.events.emit({
          event_type: 'task_failed',
          plan_id: row.plan_id,
          task_id: id,
          plan_task_id: dependent?.name ?? id,
          cause: dependent?.cause ?? `upstream_failed: ${row.name}`,
        });
      }
      break;
  }
  if ('plan' in effect && effect.plan !== undefined) announcePlan(ctx, effect.plan);
}

/** Announce a plan that reached a terminal state. */
export function announcePlan(ctx: BrainContext, plan: PlanFinished): void {
  const type = plan.state === 'completed' ? 'plan_completed' : plan.state === 'failed' ? 'plan_failed' : 'plan_canceled';
  ctx.events.emit({ event_type: type, plan_id: plan.plan_id });
}

/** The seed's criterion: a task that failed locally `after_failures` times (2 by default) goes to the external tier. */
function maybeEscalateAfterFailures(ctx: BrainContext, row: TaskRow): void {
  if (ctx.escalation === undefined) return;
  const fresh = ctx.store.task(row.task_id);
  if (fresh !== undefined && fresh.retry_count >= ctx.config.escalation.after_failures) ctx.escalation.escalate(row.task_id, 'repeated_failure');
}
