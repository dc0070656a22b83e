import { setImmediate as nextTurn } from 'node:timers/promises';
import { createMessage } from '@rigmind/protocol';
import {
  type CancelEffect,
  cancelPlanSlice,
  markCancel,
  pendingCancels,
  waitingTaskIds,
} from '../store/operator-actions.js';
import { applyEffects } from './apply-effects.js';
import type { BrainContext } from './brain-context.js';
import type { Waiter } from './plan-waits.js';

/**
 * A plan with more live tasks than this is canceled in slices of it, one transaction each, with the loop free in
 * between: canceling 100,000 tasks in one transaction took ~2 s idle (12 s on a loaded machine), each task a status
 * change and its event. A slice takes ~50 ms idle.
 */
export const CANCEL_SLICE = 2_000;

/** What a slice canceled, taken out of memory: no longer queued or backing off, and called back from its worker. */
export function forgetCanceled(ctx: BrainContext, effect: Pick<CancelEffect, 'canceled' | 'revoked'>): void {
  // Each canceled task was announced by the state machine as it canceled it.
  for (const id of effect.canceled) {
    ctx.queue.remove(id);
    ctx.retryAt.delete(id);
  }
  for (const lease of effect.revoked) {
    const worker = ctx.workers.get(lease.worker_id);
    worker?.leases.delete(lease.task_id);
    if (worker?.identity !== undefined) {
      const payload = { task_id: lease.task_id, attempt: lease.attempt, reason: 'canceled by operator' };
      ctx.router.send(worker.identity, createMessage('cancel_task', { role: 'brain', id: ctx.id }, payload));
    }
  }
  ctx.escalation?.onCanceled(effect.canceled);
}

/**
 * Begin canceling a plan in slices; the requests in `waiters` are answered once all of it is on disk (an ack means
 * on disk), other frames are served between slices. First, in one transaction (the caller's, when it is in one), the
 * plan is marked as being canceled and its waiting tasks leave memory, so none is dispatched meanwhile; the slices
 * cancel the tasks that may run before the blocked ones.
 */
export function beginPlanCancel(ctx: BrainContext, planId: string, waiters: readonly Waiter[]): void {
  ctx.planWaits.startCanceling(planId, waiters);
  const begun = ctx.atomically(() => {
    markCancel(ctx.store, planId);
    for (const id of waitingTaskIds(ctx.store, planId)) {
      ctx.queue.remove(id);
      ctx.retryAt.delete(id);
    }
  });
  if (!begun) {
    fail(ctx, planId);
    return;
  }
  void continueCancel(ctx, planId).catch((error: unknown) => {
    ctx.logger.error({ err: error, plan_id: planId }, 'canceling a plan failed');
    fail(ctx, planId);
  });
}

async function continueCancel(ctx: BrainContext, planId: string): Promise<void> {
  const canceled: string[] = [];
  for (let more = true; more; ) {
    await nextTurn();
    // Slices need no fsync of their own: the last commit, the one the answer stands for, syncs the log before it.
    ctx.store.syncCommits(false);
    const sliced = ctx.atomically(() => {
      const effect = cancelPlanSlice(ctx.store, ctx.transitions, planId, CANCEL_SLICE);
      forgetCanceled(ctx, effect);
      canceled.push(...effect.canceled);
      more = effect.canceled.length === CANCEL_SLICE;
    });
    if (!sliced) return fail(ctx, planId);
  }
  await nextTurn();
  ctx.store.syncCommits(true);
  const finished = ctx.atomically(() => {
    // Whatever became live meanwhile (a task retried by hand) goes too; the mark goes, the plan is settled.
    const effect = cancelPlanSlice(ctx.store, ctx.transitions, planId);
    forgetCanceled(ctx, effect);
    canceled.push(...effect.canceled);
    if (effect.plan !== undefined) applyEffects(ctx, [{ kind: 'plan_finished', plan: effect.plan }]);
    const payload = { detail: `canceled ${canceled.length} task(s)`, affected: canceled };
    for (const waiter of ctx.planWaits.endCanceling(planId))
      waiter.reply(createMessage('ack', { role: 'brain', id: ctx.id }, payload, waiter.re));
  });
  if (!finished) return fail(ctx, planId);
  ctx.schedulePump();
}

/** The cancel could not be written (a full disk): its requests are refused; the mark stays for the next start. */
function fail(ctx: BrainContext, planId: string): void {
  const failure = ctx.writeFailure();
  const code = failure?.code ?? 'internal_error';
  const message =
    `canceling plan '${planId}' stopped: ${failure?.message ?? 'a write failed'}; what is canceled stays ` +
    'canceled, and the rest is canceled at the next start of the brain, or by canceling again';
  for (const waiter of ctx.planWaits.endCanceling(planId))
    waiter.reply(createMessage('refused', { role: 'brain', id: ctx.id }, { code, message, issues: [] }, waiter.re));
}

/**
 * Finish the cancels a stopped brain left under way (their mark is on disk), before serving: each slice is its own
 * transaction through `atomically`. Returns the plans finished.
 */
export function finishPendingCancels(ctx: BrainContext, atomically: (work: () => void) => boolean): string[] {
  const plans = pendingCancels(ctx.store);
  for (const planId of plans) {
    for (let more = true; more; ) {
      const done = atomically(() => {
        const effect = cancelPlanSlice(ctx.store, ctx.transitions, planId, CANCEL_SLICE);
        forgetCanceled(ctx, effect);
        more = effect.canceled.length === CANCEL_SLICE;
      });
      if (!done) return plans;
    }
    atomically(() => {
      const effect = cancelPlanSlice(ctx.store, ctx.transitions, planId);
      forgetCanceled(ctx, effect);
      if (effect.plan !== undefined) applyEffects(ctx, [{ kind: 'plan_finished', plan: effect.plan }]);
    });
  }
  return plans;
}
