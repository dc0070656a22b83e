import type { BrainContext } from './brain-context.js';
import { finished, type BrainEffect } from './effects.js';

/**
 * Take a lease back from its worker (it died, left, or registered without the task). The task goes back to the
 * queue without using a retry, or fails once it has lost its worker more than `max_lost_leases` times; a task
 * that fails says so with `task_failed`, whichever way it failed. Returns what follows, for `applyEffects`.
 */
export function loseLease(
  ctx: BrainContext,
  workerId: string,
  lease: { task_id: string; attempt: number },
  reason: string,
): BrainEffect[] {
  ctx.workers.get(workerId)?.sent.delete(lease.task_id);
  const effect = ctx.transitions.loseLease(lease.task_id, reason, ctx.config.max_lost_leases);
  if (effect.kind === 'failed') {
    const row = ctx.store.task(lease.task_id);
    ctx.events.emit({
      event_type: 'task_failed',
      plan_id: row?.plan_id,
      task_id: lease.task_id,
      plan_task_id: row?.name,
      worker_id: workerId,
      attempt: lease.attempt,
      cause: effect.cause,
    });
  }
  return [finished(lease.task_id, effect, { worker_id: workerId, attempt: lease.attempt })];
}
