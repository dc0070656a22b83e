import { createMessage } from '@rigmind/protocol';
import type { BrainCore } from './brain-context.js';
import type { CardBelief, CardBook } from './card-book.js';
import { isBrainWorker } from './card-views.js';
import type { BrainEffect } from './effects.js';
import type { LiveRigSpec } from './live-rig-spec.js';
import { startResourceTask } from './resource-tasks.js';
import type { WorkerEntry } from './worker-registry.js';

/**
 * Load or free a model through a resource task, as the live scheduler's `prepare`; on the brain worker that is the
 * model on all its cards. The brain's beliefs about the cards follow at once.
 */
export function resourceOn(
  ctx: BrainCore,
  spec: LiveRigSpec,
  book: CardBook,
  worker: WorkerEntry,
  card: CardBelief,
  action: 'load_llm' | 'unload_llm',
  model: string,
  planId: string,
  why: string,
  nowS: number,
): void {
  const loadS = action === 'load_llm' ? (spec.spec([card]).models[model]?.loadS ?? 0) : 8;
  const brainCard = isBrainWorker(worker.info);
  const cards = brainCard ? book.all().filter((each) => each.workerId === worker.id) : [card];
  const taskId = startResourceTask(ctx, worker, {
    action,
    model,
    gpu: card.gpu,
    gpus: cards.map((each) => each.gpu),
    planId,
    estimateS: loadS,
    why,
  });
  if (taskId === undefined) return;
  for (const each of cards)
    each.models = action === 'load_llm' ? [model] : each.models.filter((held) => held !== model);
  // Loading the brain model is the brain getting ready; anything else is worker-side switching. Priority 10: never
  // preempted.
  const executor = brainCard && action === 'load_llm' ? 'brain' : 'worker';
  card.run = {
    taskId,
    priority: 10,
    model: action === 'load_llm' ? model : null,
    startedAtS: nowS,
    estimateS: loadS,
    executor,
  };
}

/** Stop a running task for urgent work: its attempt ends, it goes back to the queue in its old place, counted. */
export function preemptFor(ctx: BrainCore, book: CardBook, taskId: string): readonly BrainEffect[] {
  const lease = ctx.transitions.preempt(taskId, 'preempted for urgent work');
  if (lease === undefined) return [];
  const worker = ctx.workers.get(lease.worker_id);
  worker?.leases.delete(taskId);
  if (worker?.identity !== undefined) {
    ctx.router.send(
      worker.identity,
      createMessage(
        'cancel_task',
        { role: 'brain', id: ctx.id },
        { task_id: taskId, attempt: lease.attempt, reason: 'preempted for urgent work' },
      ),
    );
  }
  for (const card of book.all()) if (card.run?.taskId === taskId) card.run = null;
  return [{ kind: 'enqueue', row: lease.row }];
}
