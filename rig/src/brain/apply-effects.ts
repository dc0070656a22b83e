import type { TaskRow } from '../store/rows.js';
import type { FinishEffect, PlanFinished } from '../store/transitions.js';
import type { BrainContext } from './brain-context.js';
import type { BrainEffect, FinishDetail } from './effects.js';

/**
 * The one place the brain's effects are carried out, in the caller's transaction. A worklist, depth first:
 * what applying an effect yields is applied before the effects after it, so events keep the order of cause and
 * consequence (a task's retry, then its escalation, then whatever came next in the frame).
 */
export function applyEffects(ctx: BrainContext, effects: readonly BrainEffect[]): void {
  // A stack, reversed so that the first effect is on top.
  const stack = [...effects].reverse();
  for (let effect = stack.pop(); effect !== undefined; effect = stack.pop()) {
    const more = applyOne(ctx, effect);
    for (let i = more.length - 1; i >= 0; i -= 1) stack.push(more[i] as BrainEffect);
  }
}

function applyOne(ctx: BrainContext, effect: BrainEffect): readonly BrainEffect[] {
  switch (effect.kind) {
    case 'finished':
      return followUp(ctx, effect.taskId, effect.effect, effect.detail);
    case 'release':
      return releaseFirst(ctx, effect.taskIds);
    case 'enqueue':
      return enqueue(ctx, effect.row);
    case 'escalate':
      if (ctx.escalation === undefined) return effect.otherwise;
      return ctx.escalation.escalate(effect.taskId, effect.reason) ?? effect.otherwise;
    case 'fail':
      return failNow(ctx, effect.taskId, effect.cause);
    case 'plan_finished':
      announcePlan(ctx, effect.plan);
      return [];
    case 'pump':
      ctx.schedulePump();
      return [];
  }
}

/** Put a queued task row into the in-memory ready queue (or route it to the escalation path). */
function enqueue(ctx: BrainContext, row: TaskRow): readonly BrainEffect[] {
  if (row.task_class === 'resource') {
    // A load planned for a card as it was then; the scheduler plans loads anew from the cards as they are now.
    ctx.transitions.cancelResource(row.task_id, 'resource task not run: the scheduler plans loads anew');
    return [];
  }
  if (row.requires_external === 1 && row.status === 'queued') {
    if (ctx.escalation !== undefined)
      return [{ kind: 'escalate', taskId: row.task_id, reason: 'requires_external', otherwise: [] }];
    const cause = 'requires_external, but no gateway is configured (escalation.gateway_url in config.json)';
    ctx.transitions.setStatus(row.task_id, 'waiting_external', cause);
    ctx.events.emit({
      event_type: 'task_escalated',
      plan_id: row.plan_id,
      task_id: row.task_id,
      plan_task_id: row.name,
      cause,
    });
    return [];
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
  return [];
}

/**
 * Release the first of `taskIds` (announce and queue it, unless the escalation path completes it), then the rest:
 * one at a time, so what releasing one yields is applied before the next is announced.
 */
function releaseFirst(ctx: BrainContext, taskIds: readonly string[]): readonly BrainEffect[] {
  const [id, ...rest] = taskIds;
  if (id === undefined) return [];
  const next: BrainEffect[] = rest.length > 0 ? [{ kind: 'release', taskIds: rest }] : [{ kind: 'pump' }];
  const row = ctx.store.task(id);
  if (row === undefined || row.status !== 'queued') return next;
  const completed = ctx.escalation?.onReleased(row);
  if (completed !== undefined) return [...completed, ...next];
  ctx.events.emit({ event_type: 'task_released', plan_id: row.plan_id, task_id: id, plan_task_id: row.name });
  return [...enqueue(ctx, row), ...next];
}

/** Announce and follow up what a finished attempt (or a lost lease, or a direct completion or failure) did. */
function followUp(
  ctx: BrainContext,
  taskId: string,
  effect: FinishEffect,
  detail: FinishDetail,
): readonly BrainEffect[] {
  if (effect.kind === 'stale' || effect.kind === 'too_long') return [];
  const plan: BrainEffect[] =
    'plan' in effect && effect.plan !== undefined ? [{ kind: 'plan_finished', plan: effect.plan }] : [];
  // The busiest path needs nothing of the task's row: releasing reads the dependents' own.
  if (effect.kind === 'completed') return [{ kind: 'release', taskIds: effect.released }, ...plan];
  const row = ctx.store.task(taskId);
  if (row === undefined) return [];
  const base = { plan_id: row.plan_id, task_id: taskId, plan_task_id: row.name, ...detail };
  if (effect.kind === 'retry') {
    if (effect.requeued) {
      // A lost lease: the worker died, the task did not fail, so it does not count towards escalating.
      ctx.events.emit({ event_type: 'task_requeued', ...base, cause: row.cause ?? 'retry' });
      return [{ kind: 'enqueue', row }, { kind: 'pump' }];
    }
    ctx.retryAt.set(taskId, effect.next_attempt_at);
    ctx.events.emit({
      event_type: 'task_retry_scheduled',
      ...base,
      cause: row.cause ?? 'retry',
      duration_ms: effect.delay_ms,
    });
    // The seed's criterion: a task that failed locally `after_failures` times (2 by default) goes to the external tier.
    const failedEnough = ctx.escalation !== undefined && row.retry_count >= ctx.config.escalation.after_failures;
    return failedEnough ? [{ kind: 'escalate', taskId, reason: 'repeated_failure', otherwise: [] }] : [];
  }
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
  return plan;
}

/** Fail a task now (it cannot run here and cannot leave the rig), saying why. */
function failNow(ctx: BrainContext, taskId: string, cause: string): readonly BrainEffect[] {
  const row = ctx.store.task(taskId);
  const effect = ctx.transitions.failDirectly(taskId, cause);
  if (row !== undefined && effect.kind !== 'stale') {
    ctx.events.emit({
      event_type: 'task_failed',
      plan_id: row.plan_id,
      task_id: taskId,
      plan_task_id: row.name,
      cause,
    });
  }
  return [{ kind: 'finished', taskId, effect, detail: {} }];
}

/** Announce a plan that reached a terminal state. */
function announcePlan(ctx: BrainContext, plan: PlanFinished): void {
  const type =
    plan.state === 'completed' ? 'plan_completed' : plan.state === 'failed' ? 'plan_failed' : 'plan_canceled';
  ctx.events.emit({ event_type: type, plan_id: plan.plan_id });
}
