import { createMessage, type Message, type MessageOf, type Payload } from '@rigmind/protocol';
import { cancelTarget, liveTaskCount, retryTask } from '../store/operator-actions.js';
import type { BrainContext } from './brain-context.js';
import type { BrainEffect } from './effects.js';
import { beginPlanCancel, CANCEL_SLICE, forgetCanceled } from './plan-cancel.js';
import {
  acceptArrival,
  announceAccepted,
  checkInTurns,
  newPlanId,
  refusePlan,
  SLICE_TASKS,
  type Intake,
} from './plan-intake.js';
import { planStatus } from './status-view.js';

type Reply = (message: Message) => void;

const sender = (ctx: BrainContext) => ({ role: 'brain' as const, id: ctx.id });

function refuse(
  ctx: BrainContext,
  reply: Reply,
  re: string,
  code: string,
  message: string,
  issues: Payload<'refused'>['issues'] = [],
): void {
  reply(createMessage('refused', sender(ctx), { code, message, issues }, re));
}

/**
 * Validate, store, queue. Nothing is queued unless the whole plan is valid and stored. A plan of more than
 * SLICE_TASKS tasks is checked a chunk per turn and stored in slices (plan-intake.ts), so that accepting it never
 * holds the loop for seconds; its answer comes through `replyLater`, after the last slice's commit. Returns what
 * follows (its ready tasks queued), for `applyEffects`.
 */
export function onSubmitPlan(
  ctx: BrainContext,
  message: MessageOf<'submit_plan'>,
  reply: Reply,
  replyLater: Reply,
): readonly BrainEffect[] {
  const { tasks, ...header } = message.plan;
  const source = message.source ?? `client:${message.sender.id}`;
  if (tasks.length <= SLICE_TASKS) {
    const resolved = ctx.resolvePlan(message.plan);
    if (!resolved.ok) {
      refusePlan(ctx, header.plan, resolved.issues, message.msg_id, reply);
      return [];
    }
    const intake: Intake = {
      planId: newPlanId(header.plan),
      header,
      tasks: resolved.value,
      source,
      re: message.msg_id,
    };
    ctx.store.insertPlan({
      plan_id: intake.planId,
      name: header.plan,
      description: header.description,
      notes: header.notes,
      source,
      allow_external_sensitive: header.allow_external_sensitive === true,
      tasks: intake.tasks,
    });
    const accepted = announceAccepted(ctx, intake);
    reply(accepted.ack);
    return accepted.effects;
  }
  const check = ctx.checkPlan(header.defaults);
  void (async () => {
    // The frame's own parse was one long step: a client with a plan this size should upload it in chunks.
    await checkInTurns(check, tasks);
    await acceptArrival(ctx, { header, source, re: message.msg_id, check }, replyLater);
  })().catch((error: unknown) => ctx.logger.error({ err: error }, 'accepting a plan failed'));
  return [];
}

/** Plans and workers, as one document. */
export function onStatus(ctx: BrainContext, message: MessageOf<'status_request'>, reply: Reply): void {
  const deadAfter = ctx.config.heartbeat_ms * ctx.config.heartbeat_liveness;
  const workers = ctx.workers.status(ctx.runtime.now(), deadAfter, ctx.store.status.workerTotals());
  const failure = ctx.writeFailure();
  const health = failure === undefined ? {} : { write_failure: { ...failure } };
  if (message.plan_id !== undefined) {
    const plan = ctx.store.plan(message.plan_id);
    if (plan === undefined) {
      refuse(ctx, reply, message.msg_id, 'not_found', `no plan '${message.plan_id}'`);
      return;
    }
    if (ctx.store.intake.intakeUnderway(plan.plan_id)) {
      // Its counts would be of the slices stored so far: a plan has no status until all of it is on disk.
      const why = `plan '${plan.plan_id}' is still being stored; it has a status once it is accepted`;
      refuse(ctx, reply, message.msg_id, 'plan_storing', why);
      return;
    }
    const page = { offset: message.task_offset, limit: message.task_limit };
    const plans = [planStatus(ctx.store, plan, message.include_tasks !== false, page)];
    reply(createMessage('status_reply', sender(ctx), { plans, workers, ...health }, message.msg_id));
    return;
  }
  const plans = ctx.store.plans(20).map((plan) => planStatus(ctx.store, plan, message.include_tasks === true));
  reply(createMessage('status_reply', sender(ctx), { plans, workers, ...health }, message.msg_id));
}

/**
 * Cancel a plan or a task; running attempts are called back from their workers. A plan still being stored is
 * canceled once it is (the cancel waits; nothing of it is dispatched first); a plan with more than CANCEL_SLICE live
 * tasks is canceled in slices (plan-cancel.ts). Either way the answer comes once all of the cancel is on disk.
 */
export function onCancel(
  ctx: BrainContext,
  message: MessageOf<'cancel_request'>,
  reply: Reply,
): readonly BrainEffect[] {
  const { target } = message;
  const waiter = { re: message.msg_id, reply };
  if (ctx.store.intake.intakeUnderway(target)) {
    ctx.planWaits.waitForStore(target, waiter);
    return [];
  }
  const taskPlan = ctx.store.plan(target) === undefined ? ctx.store.task(target)?.plan_id : undefined;
  if (taskPlan !== undefined && ctx.store.intake.intakeUnderway(taskPlan)) {
    // A task id is handed out with its plan's acceptance: until then, only the whole plan can be canceled.
    const why =
      `task '${target}' belongs to plan '${taskPlan}', still being stored; cancel the plan, or the task once ` +
      'the plan is accepted';
    refuse(ctx, reply, message.msg_id, 'plan_storing', why);
    return [];
  }
  if (ctx.planWaits.isCanceling(target)) {
    ctx.planWaits.waitForCancel(target, waiter);
    return [];
  }
  if (ctx.store.plan(target) !== undefined && liveTaskCount(ctx.store, target) > CANCEL_SLICE) {
    beginPlanCancel(ctx, target, [waiter]);
    return [];
  }
  const effect = cancelTarget(ctx.store, ctx.transitions, target);
  if ('code' in effect) {
    refuse(ctx, reply, message.msg_id, effect.code, effect.message);
    return [];
  }
  forgetCanceled(ctx, effect);
  reply(
    createMessage(
      'ack',
      sender(ctx),
      { detail: `canceled ${effect.canceled.length} task(s)`, affected: effect.canceled },
      message.msg_id,
    ),
  );
  ctx.schedulePump();
  return effect.plan === undefined ? [] : [{ kind: 'plan_finished', plan: effect.plan }];
}

/** Re-queue a failed task and the dependents that failed because of it. */
export function onRetry(ctx: BrainContext, message: MessageOf<'retry_request'>, reply: Reply): readonly BrainEffect[] {
  const effect = retryTask(ctx.store, ctx.transitions, message.task_id);
  if ('code' in effect) {
    refuse(ctx, reply, message.msg_id, effect.code, effect.message);
    return [];
  }
  reply(
    createMessage(
      'ack',
      sender(ctx),
      { detail: `re-queued ${effect.reset.length} task(s)`, affected: effect.reset },
      message.msg_id,
    ),
  );
  return [{ kind: 'release', taskIds: effect.requeued }];
}

/** Where a task's output is. */
export function onLogs(ctx: BrainContext, message: MessageOf<'logs_request'>, reply: Reply): void {
  const row = ctx.store.task(message.task_id);
  if (row === undefined) {
    refuse(ctx, reply, message.msg_id, 'not_found', `no task '${message.task_id}'`);
    return;
  }
  const attempts = ctx.store.attempts(message.task_id).map((attempt) => ({
    attempt: attempt.attempt,
    worker_id: attempt.worker_id,
    outcome: attempt.outcome,
    stdout_path: attempt.stdout_path,
    stderr_path: attempt.stderr_path,
  }));
  reply(createMessage('logs_reply', sender(ctx), { task_id: message.task_id, attempts }, message.msg_id));
}
