import { createMessage, type TaskClass } from '@rigmind/protocol';
import { rowToTask, type TaskRow } from '../store/rows.js';
import type { BrainCore } from './brain-context.js';
import type { WorkerAppetite } from './ready-queue.js';
import type { WorkerEntry } from './worker-registry.js';

/**
 * Hand ready tasks to workers with free slots, until no worker can take anything more: the seed's order (the
 * `naive` policy, and under `swap-aware` the way cpu work and workers the scheduler does not place are fed).
 * `appetite` narrows what a worker is offered; undefined from it skips the worker.
 */
export function pump(
  ctx: BrainCore,
  appetite: (worker: WorkerEntry) => WorkerAppetite | undefined = defaultAppetite,
): number {
  let dispatched = 0;
  const now = ctx.runtime.now();
  let progress = true;
  while (progress && ctx.queue.size > 0) {
    progress = false;
    for (const worker of ctx.workers.withFreeSlots({
      prefetch: ctx.config.prefetch,
      belowS: ctx.config.prefetch_below_s,
    })) {
      const wants = appetite(worker);
      if (wants === undefined) continue;
      const entry = ctx.queue.pick(wants, now);
      if (entry === undefined) continue;
      if (dispatchTo(ctx, worker, entry.task_id, now + dispatched) === undefined) continue;
      dispatched += 1;
      progress = true;
    }
  }
  return dispatched;
}

/** What a registered worker serves. */
export function defaultAppetite(worker: WorkerEntry): WorkerAppetite | undefined {
  const info = worker.info;
  if (info === undefined) return undefined;
  return { classes: info.classes as TaskClass[], prefer: info.prefer, executor: info.executor };
}

/**
 * Lease one queued task to a worker and send it the `dispatch`. The lease is in SQLite first: a crash between the
 * two leaves a lease the worker never heard of, which the liveness check returns to the queue. Returns the leased
 * row, or undefined when the task is no longer queued or the worker has no connection. `gpus` names the worker's
 * cards the attempt runs on when not all of them (a brain card lent to worker work).
 */
export function dispatchTo(
  ctx: BrainCore,
  worker: WorkerEntry,
  taskId: string,
  now: number = ctx.runtime.now(),
  detail?: Record<string, unknown>,
  gpus?: readonly number[],
): TaskRow | undefined {
  if (worker.identity === undefined) return undefined;
  // The dispatch is announced with the wait since the ready queue took the task in.
  const queuedAt = ctx.queue.get(taskId)?.queued_at;
  ctx.queue.remove(taskId);
  const leased = ctx.transitions.lease(taskId, worker.id, { queued_at: queuedAt, detail });
  if (leased === undefined) return undefined;
  worker.leases.add(taskId);
  worker.lastDispatch = now;
  const task = rowToTask(leased.row);
  const pending = ctx.pendingAcks.get(worker.id);
  const acks = pending?.identity.equals(worker.identity) ? pending.msgIds : undefined;
  if (acks !== undefined) ctx.pendingAcks.delete(worker.id);
  const mark = ctx.workers.markDispatch(worker, taskId, leased.attempt);
  ctx.router.send(
    worker.identity,
    createMessage(
      'dispatch',
      { role: 'brain', id: ctx.id },
      {
        task,
        attempt: leased.attempt,
        mark,
        ...(acks !== undefined ? { acks } : {}),
        ...(gpus !== undefined ? { gpus: [...gpus] } : {}),
      },
    ),
  );
  return leased.row;
}
