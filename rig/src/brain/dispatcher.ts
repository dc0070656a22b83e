import { createMessage, type TaskClass } from '@rigmind/protocol';
import { rowToTask } from '../store/rows.js';
import type { BrainContext } from './brain-context.js';

/**
 * Hand ready tasks to workers with free slots, until no worker can take anything more.
 * Each hand-over is a lease in SQLite first, then a `dispatch` frame: a crash between the two leaves a lease that
 * the worker never heard of, which the liveness check returns to the queue.
 */
export function pump(ctx: BrainContext): number {
  let dispatched = 0;
  const now = ctx.now();
  let progress = true;
  while (progress && ctx.queue.size > 0) {
    progress = false;
    for (const worker of ctx.workers.withFreeSlots({ prefetch: ctx.config.prefetch, belowS: ctx.config.prefetch_below_s })) {
      const info = worker.info;
      if (info === undefined || worker.identity === undefined) continue;
      const entry = ctx.queue.pick({ classes: info.classes as TaskClass[], prefer: info.prefer, executor: info.executor }, now);
      if (entry === undefined) continue;
      ctx.queue.remove(entry.task_id);
      const leased = ctx.transitions.lease(entry.task_id, worker.id);
      if (leased === undefined) continue;
      worker.leases.add(entry.task_id);
      worker.lastDispatch = now + dispatched;
      const task = rowToTask(leased.row);
      const pending = ctx.pendingAcks.get(worker.id);
      const acks = pending !== undefined && pending.identity.equals(worker.identity) ? pending.msgIds : undefined;
      if (acks !== undefined) ctx.pendingAcks.delete(worker.id);
      ctx.router.send(
        worker.identity,
        createMessage('dispatch', { role: 'brain', id: ctx.id }, { task, attempt: leased.attempt, ...(acks !== undefined ? { acks } : {}) }),
      );
      ctx.events.emit({
        event_type: 'task_dispatched',
        plan_id: task.plan_id,
        task_id: task.task_id,
        plan_task_id: task.name,
        worker_id: worker.id,
        attempt: leased.attempt,
        duration_ms: Math.max(0, now - entry.queued_at),
      });
      dispatched += 1;
      progress = true;
    }
  }
  return dispatched;
}
