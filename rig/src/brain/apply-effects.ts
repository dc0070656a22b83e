import type { TaskRow } from '../store/rows.js';
import { isReady, type FinishEffect, type PlanFinished } from '../store/transitions.js';
import type { BrainContext } from './brain-context.js';
import type { BrainEffect } from './effects.js';

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
      return followUp(ctx, effect.taskId, effect.effect);
    case 'release':
      return releaseFirst(ctx, effect.taskIds);
    case 'enqueue':
      return enqueue(ctx, effect.row);
    case 'escalate':
      if (ctx.escalation === undefined) return effect.otherwise;
      return ctx.escalation.escalate(effect.taskId, effect.reason) ?? effect.otherwise;
    case 'fail':
      return failNow(ctx, effect.taskId, effect.cause);
    case 'judge':
      if (ctx.judge === undefined) return [{ kind: 'judged_default', taskId: effect.taskId, attempt: effect.attempt }];
      return ctx.judge.begin(effect.taskId, effect.attempt, effect.error);
    case 'judged_default': {
      const judged = ctx.transitions.judgedDefault(effect.taskId, effect.attempt);
      return judged.kind === 'waiting' ? [] : [{ kind: 'finished', taskId: effect.taskId, effect: judged }];
    }
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
    ctx.transitions.waitExternal(row, cause, cause);
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
 * Release the first of `taskIds` (the state machine queues and announces it, unless the escalation path completes
 * it), then the rest: one at a time, so what releasing one yields is applied before the next is announced.
 */
function releaseFirst(ctx: BrainContext, taskIds: readonly string[]): readonly BrainEffect[] {
  const [id, ...rest] = taskIds;
  if (id === undefined) return [];
  const next: BrainEffect[] = rest.length > 0 ? [{ kind: 'release', taskIds: rest }] : [{ kind: 'pump' }];
  const row = ctx.store.task(id);
  if (row === undefined || !isReady(row)) return next;
  const completed = ctx.escalation?.onReleased(row);
  if (completed !== undefined) return [...completed, ...next];
  const queued = ctx.transitions.release(row);
  return queued === undefined ? next : [...enqueue(ctx, queued), ...next];
}

/**
 * Follow up what a finished attempt (or a lost lease, or a direct completion or failure) did, which the state
 * machine has announced: queue, wait out the backoff, forget the cascaded, release.
 */
function followUp(ctx: BrainContext, taskId: string, effect: FinishEffect): readonly BrainEffect[] {
  if (effect.kind === 'stale' || effect.kind === 'too_long') return [];
  if (effect.kind === 'judging') return [{ kind: 'judge', taskId, attempt: effect.attempt, error: effect.error }];
  const plan: BrainEffect[] =
    'plan' in effect && effect.plan !== undefined ? [{ kind: 'plan_finished', plan: effect.plan }] : [];
  // The busiest path needs nothing of the task's row: releasing reads the dependents' own.
  if (effect.kind === 'completed') return [{ kind: 'release', taskIds: effect.released }, ...plan];
  if (effect.kind === 'retry') {
    if (effect.requeued) {
      // A lost lease: the worker died, the task did not fail, so it does not count towards escalating.
      const row = ctx.store.task(taskId);
      return row === undefined ? [] : [{ kind: 'enqueue', row }, { kind: 'pump' }];
    }
    ctx.retryAt.set(taskId, effect.next_attempt_at);
    if (ctx.escalation === undefined) return [];
    // The seed's criterion: a task that failed locally `after_failures` times (2 by default) goes to the external tier.
    const failedEnough = (ctx.store.task(taskId)?.retry_count ?? 0) >= ctx.config.escalation.after_failures;
    return failedEnough ? [{ kind: 'escalate', taskId, reason: 'repeated_failure', otherwise: [] }] : [];
  }
  for (const id of effect.cascaded) {
    ctx.queue.remove(id);
    ctx.retryAt.delete(id);
  }
  return plan;
}

/** Fail a task now (it cannot run here and cannot leave the rig); the state machine announces why. */
function failNow(ctx: BrainContext, taskId: string, cause: string): readonly BrainEffect[] {
  return [{ kind: 'finished', taskId, effect: ctx.transitions.failDirectly(taskId, cause) }];
}

/** Announce a plan that reached a terminal state. */
function announcePlan(ctx: BrainContext, plan: PlanFinished): void {
  const type =
    plan.state === 'completed' ? 'plan_completed' : plan.state === 'failed' ? 'plan_failed' : 'plan_canceled';
  ctx.events.emit({ event_type: type, plan_id: plan.plan_id });
}
