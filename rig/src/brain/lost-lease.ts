import type { BrainContext } from './brain-context.js';
import { finished, type BrainEffect } from './effects.js';

/**
 * Take a lease back from its worker (it died, left, or registered without the task). The task goes back to the
 * queue without using a retry, or fails once it has lost its worker more than `max_lost_leases` times; the state
 * machine announces which (`task_requeued`, or `task_failed` whichever way it failed). Returns what follows, for
 * `applyEffects`.
 */
export function loseLease(
  ctx: BrainContext,
  workerId: string,
  lease: { task_id: string; attempt: number },
  reason: string,
): BrainEffect[] {
  ctx.workers.get(workerId)?.sent.delete(lease.task_id);
  return [finished(lease.task_id, ctx.transitions.loseLease(lease.task_id, reason, ctx.config.max_lost_leases))];
}
