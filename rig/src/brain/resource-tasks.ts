import type { ResourceAction } from '@rigmind/protocol';
import type { NewTask } from '../store/rows.js';
import type { BrainCore } from './brain-context.js';
import { dispatchTo } from './dispatcher.js';
import type { WorkerEntry } from './worker-registry.js';

/** What a resource task is for. */
export interface ResourceOrder {
  readonly action: ResourceAction;
  readonly model: string;
  readonly gpu: number;
  /** All the cards it acts on when more than `gpu` (the brain's model spans the brain worker's cards). */
  readonly gpus?: readonly number[];
  /** The plan whose work it prepares: the task is listed, and counted as live, there. */
  readonly planId: string;
  /** Expected seconds (the model's load time). */
  readonly estimateS: number;
  readonly why: string;
}

/**
 * Create a `resource` task (class resource, priority 10, source `brain`) and hand it to the worker that owns the
 * card, in the caller's transaction. It is a task like the others: a row, an attempt, events, a line in status.
 * It is never queued for anyone else: it was planned for this card as it is now. Returns the task id.
 */
export function startResourceTask(ctx: BrainCore, worker: WorkerEntry, order: ResourceOrder): string | undefined {
  const n = ctx.store.resourceTaskCount(order.planId) + 1;
  const name = `${order.action}.gpu${order.gpu}.${order.model.replace(/[^A-Za-z0-9_.:-]/g, '-')}.${n}`;
  const taskId = `${order.planId}.${name}`;
  const seq = (ctx.store.lastSeq(order.planId) ?? -1) + 1;
  const task: NewTask = {
    name,
    type: 'llm',
    command: order.action,
    model: order.model,
    task_class: 'resource',
    executor: 'worker',
    depends_on: [],
    priority: 10,
    max_retries: 0,
    timeout_s: Math.max(60, order.estimateS * 4),
    estimate_s: order.estimateS,
    requires_external: false,
    sensitive: false,
  };
  ctx.store.insertTasks(order.planId, [task], new Map([[name, taskId]]), 'brain', seq);
  const leased = dispatchTo(ctx, worker, taskId, ctx.runtime.now(), {
    resource: order.action,
    model: order.model,
    gpus: [...(order.gpus ?? [order.gpu])],
    why: order.why,
  });
  return leased === undefined ? undefined : taskId;
}
