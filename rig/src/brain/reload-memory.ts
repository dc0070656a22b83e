import type { BrainContext } from './brain-context.js';
import type { BrainEffect } from './effects.js';

/**
 * Rebuild what the brain keeps in memory from the database, after a transaction rolled back: the ready queue,
 * the backoff timers, each worker's leases, and the acks not yet sent. Call inside a transaction (queuing a task
 * may write). A lease whose worker memory lost gets a fresh entry, so the liveness check still reaps it. Returns
 * the effects that queue the queued tasks again.
 */
export function reloadMemory(ctx: BrainContext): BrainEffect[] {
  ctx.queue.clear();
  ctx.retryAt.clear();
  ctx.pendingAcks.clear();
  const effects: BrainEffect[] = ctx.store.tasksIn(['queued']).map((row) => ({ kind: 'enqueue', row }));
  for (const row of ctx.store.tasksIn(['retry_wait']))
    ctx.retryAt.set(row.task_id, row.next_attempt_at ?? ctx.runtime.now());
  for (const worker of ctx.workers.all()) worker.leases.clear();
  for (const lease of ctx.store.leases())
    ctx.workers.ensure(lease.worker_id, ctx.runtime.now()).leases.add(lease.task_id);
  ctx.scheduler?.invalidate();
  return effects;
}
