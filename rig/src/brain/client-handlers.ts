import { randomBytes } from 'node:crypto';
import { createMessage, type Message, type MessageOf, type Payload } from '@rigmind/protocol';
import { cancelTarget, retryTask } from '../store/operator-actions.js';
import type { BrainContext } from './brain-context.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BrainEffect } from './effects.js';
import { enqueueReady, SLICE_TASKS, storeInSlices, type Intake } from './plan-intake.js';
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

/** A plan id: the plan's name, made safe, plus a short random suffix so resubmitting the same plan is a new plan. */
export function newPlanId(name: string): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'plan';
  return `${slug}-${randomBytes(3).toString('hex')}`;
}

/**
 * Validate, store, queue. Nothing is queued unless the whole plan is valid and stored. A plan of more than
 * SLICE_TASKS tasks is checked on the next turn and stored in slices (plan-intake.ts), so that accepting it never
 * holds the loop for seconds; its answer comes through `replyLater`, after the last slice's commit. Returns what
 * follows (its ready tasks queued), for `applyEffects`.
 */
export function onSubmitPlan(
  ctx: BrainContext,
  message: MessageOf<'submit_plan'>,
  reply: Reply,
  replyLater: Reply,
): readonly BrainEffect[] {
  if (message.plan.tasks.length <= SLICE_TASKS) {
    const intake = checkPlan(ctx, message, reply);
    if (intake === undefined) return [];
    ctx.store.insertPlan({
      plan_id: intake.planId,
      name: message.plan.plan,
      description: message.plan.description,
      notes: message.plan.notes,
      source: intake.source,
      allow_external_sensitive: message.plan.allow_external_sensitive === true,
      tasks: intake.tasks,
    });
    const accepted = announceAccepted(ctx, intake);
    reply(accepted.ack);
    return accepted.effects;
  }
  void (async () => {
    // The frame's own parse was one long step; checking the plan is the next, after others had their turn.
    await nextTurn();
    let answer: Message | undefined;
    const intake = ctx.store.transaction(() => checkPlan(ctx, message, (refusal) => (answer = refusal)));
    if (intake === undefined) {
      if (answer !== undefined) replyLater(answer);
      return;
    }
    await storeInSlices(ctx, intake, replyLater, () => announceAccepted(ctx, intake));
  })().catch((error: unknown) => ctx.logger.error({ err: error }, 'accepting a plan failed'));
  return [];
}

/** Resolve a submitted plan; a refusal (with its event) goes out through `reply`. */
function checkPlan(ctx: BrainContext, message: MessageOf<'submit_plan'>, reply: Reply): Intake | undefined {
  const resolved = ctx.resolvePlan(message.plan);
  if (!resolved.ok) {
    const first = resolved.issues[0];
    ctx.events.emit({
      event_type: 'plan_refused',
      cause: first?.message ?? 'invalid plan',
      detail: { plan: message.plan.plan, issues: resolved.issues.length },
    });
    refuse(
      ctx,
      reply,
      message.msg_id,
      'plan_invalid',
      `plan '${message.plan.plan}' refused: ${resolved.issues.length} problem(s)`,
      resolved.issues.map((issue) => ({
        path: issue.path,
        message: `${issue.code}: ${issue.message}`,
        ...(issue.line !== undefined ? { line: issue.line } : {}),
      })),
    );
    return undefined;
  }
  const source = message.source ?? `client:${message.sender.id}`;
  return { planId: newPlanId(message.plan.plan), message, tasks: resolved.value, source };
}

/** A stored plan announced (inside the storing transaction): its event, its auto-fixes logged; returns the ack and
 * the effects that queue its ready tasks. */
function announceAccepted(ctx: BrainContext, intake: Intake): { ack: Message; effects: readonly BrainEffect[] } {
  const { planId, message, tasks, source } = intake;
  const detail = { plan: message.plan.plan, tasks: tasks.length, source };
  ctx.events.emit({ event_type: 'plan_submitted', plan_id: planId, detail });
  for (const task of tasks) {
    if (task.fix_applied !== undefined) {
      ctx.logger.info(
        { plan_id: planId, plan_task_id: task.name, fix_applied: task.fix_applied },
        `definition auto-fix on ${task.name}: ${task.fix_applied}`,
      );
    }
  }
  const effects = enqueueReady(ctx, planId);
  const accepted = tasks.map((task) => ({
    name: task.name,
    task_id: `${planId}.${task.name}`,
    ...(task.fix_applied !== undefined ? { fix_applied: task.fix_applied } : {}),
  }));
  return {
    ack: createMessage('plan_accepted', sender(ctx), { plan_id: planId, tasks: accepted }, message.msg_id),
    effects,
  };
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
    const page = { offset: message.task_offset, limit: message.task_limit };
    const plans = [planStatus(ctx.store, plan, message.include_tasks !== false, page)];
    reply(createMessage('status_reply', sender(ctx), { plans, workers, ...health }, message.msg_id));
    return;
  }
  const plans = ctx.store.plans(20).map((plan) => planStatus(ctx.store, plan, message.include_tasks === true));
  reply(createMessage('status_reply', sender(ctx), { plans, workers, ...health }, message.msg_id));
}

/** Cancel a plan or a task; running attempts are called back from their workers. */
export function onCancel(
  ctx: BrainContext,
  message: MessageOf<'cancel_request'>,
  reply: Reply,
): readonly BrainEffect[] {
  if (ctx.store.intake.intakeUnderway(message.target)) {
    const why = `plan '${message.target}' is still being stored; cancel it once it is accepted`;
    refuse(ctx, reply, message.msg_id, 'plan_storing', why);
    return [];
  }
  const effect = cancelTarget(ctx.store, ctx.transitions, message.target);
  if ('code' in effect) {
    refuse(ctx, reply, message.msg_id, effect.code, effect.message);
    return [];
  }
  // Each canceled task was announced by the state machine as it canceled it.
  for (const id of effect.canceled) {
    ctx.queue.remove(id);
    ctx.retryAt.delete(id);
  }
  for (const lease of effect.revoked) {
    const worker = ctx.workers.get(lease.worker_id);
    worker?.leases.delete(lease.task_id);
    if (worker?.identity !== undefined) {
      ctx.router.send(
        worker.identity,
        createMessage('cancel_task', sender(ctx), {
          task_id: lease.task_id,
          attempt: lease.attempt,
          reason: 'canceled by operator',
        }),
      );
    }
  }
  ctx.escalation?.onCanceled(effect.canceled);
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
