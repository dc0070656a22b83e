import type { MessageOf } from '@rigmind/protocol';
import type { BrainContext } from './brain-context.js';

/** Why a result did not count: sent on a connection no worker registered, or for a lease its sender does not hold. */
export type RefusalReason = 'connection_not_registered' | 'not_lease_holder';

/**
 * A result counts only from the connection its lease was given to. One that does not is recorded as a
 * `result_refused` event, naming who it claimed to be and why, and changes nothing else.
 */
export function refuseResult(ctx: BrainContext, message: MessageOf<'task_result'>, reason: RefusalReason): void {
  const row = ctx.store.task(message.task_id);
  ctx.events.emit({
    event_type: 'result_refused',
    plan_id: row?.plan_id,
    task_id: message.task_id,
    plan_task_id: row?.name,
    worker_id: message.sender.id,
    attempt: message.attempt,
    cause: reason,
    detail: { outcome: message.result.outcome },
  });
}

/**
 * Whether a result that found no live lease is its sender's own late word on an attempt it ran: a copy sent again
 * after the first was applied, or the result of a lease taken back from it. Those are acknowledged quietly.
 */
export function ownLateResult(ctx: BrainContext, message: MessageOf<'task_result'>): boolean {
  return ctx.store.attemptWorker(message.task_id, message.attempt) === message.sender.id;
}
