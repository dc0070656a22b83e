import type { BrainContext } from './brain-context.js';
import type { BrainEffect } from './effects.js';

/**
 * A prompt too long for the worker's model: retrying it there cannot help, and it is no failure of the task, so
 * it does not count towards escalating after failures (which would pay for an answer this then threw away). It
 * moves to the brain's model if a brain executor is registered, else to the external tier, else it fails saying
 * why. Never truncated. Returns what follows, for `applyEffects`.
 */
export function rerouteTooLong(
  ctx: BrainContext,
  taskId: string,
  exceeded: { model: string; estimated_tokens: number; context_length: number },
): BrainEffect[] {
  const row = ctx.store.task(taskId);
  if (row === undefined) return [];
  const { model, estimated_tokens: tokens, context_length: window } = exceeded;
  const why = `context_too_long: ~${tokens} tokens for ${model} (${window})`;
  ctx.queue.remove(taskId);
  ctx.retryAt.delete(taskId);
  const brainExecutor = ctx.workers.all().some((worker) => worker.info?.executor === 'brain');
  if (row.executor === 'worker' && brainExecutor) {
    const moved = `${why}; moved to the brain's model`;
    const queued = ctx.transitions.moveToBrain(taskId, moved);
    ctx.schedulePump();
    return queued === undefined ? [] : [{ kind: 'enqueue', row: queued }];
  }
  return [{ kind: 'escalate', taskId, reason: 'context_too_long', otherwise: [{ kind: 'fail', taskId, cause: why }] }];
}
