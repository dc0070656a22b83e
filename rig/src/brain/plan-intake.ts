import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createMessage, MAX_CHUNK_TASKS, type Message, type PlanHeader, type PlanTask } from '@rigmind/protocol';
import type { NewTask } from '../store/rows.js';
import { applyEffects } from './apply-effects.js';
import type { BrainContext, PlanChecker, PlanProblem } from './brain-context.js';
import type { BrainEffect } from './effects.js';
import { beginPlanCancel } from './plan-cancel.js';

type Reply = (message: Message) => void;

/**
 * Plans above this many tasks are stored in slices of it, one transaction each, with the loop free in between. A
 * 100,000-task plan took 1.3 s to insert in one transaction (5.5 s on a loaded machine), longer than workers wait
 * before they call the brain silent (heartbeat_liveness x heartbeat_ms, 3 s by default); a slice takes ~65 ms.
 */
export const SLICE_TASKS = 5_000;

/** A plan being accepted: what the brain checked, and what it answers with once the plan is stored. */
export interface Intake {
  readonly planId: string;
  readonly header: PlanHeader;
  readonly tasks: readonly NewTask[];
  readonly source: string;
  /** The msg_id the answer goes to: the `submit_plan`, or the upload's last chunk. */
  readonly re: string;
}

/** A plan that has arrived whole (in one frame, or the last chunk of an upload), its tasks in `check`. */
export interface Arrival {
  readonly header: PlanHeader;
  readonly source: string;
  readonly re: string;
  readonly check: PlanChecker;
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

/** Refuse a plan that failed its checks, with every issue, and record why (call inside a transaction). */
export function refusePlan(
  ctx: BrainContext,
  name: string,
  issues: readonly PlanProblem[],
  re: string,
  reply: Reply,
): void {
  recordRefusal(ctx, name, issues);
  reply(planRefusal(ctx, name, issues, re));
}

function recordRefusal(ctx: BrainContext, name: string, issues: readonly PlanProblem[]): void {
  const cause = issues[0]?.message ?? 'invalid plan';
  ctx.events.emit({ event_type: 'plan_refused', cause, detail: { plan: name, issues: issues.length } });
}

function planRefusal(ctx: BrainContext, name: string, issues: readonly PlanProblem[], re: string): Message {
  const payload = {
    code: 'plan_invalid',
    message: `plan '${name}' refused: ${issues.length} problem(s)`,
    issues: issues.map((issue) => ({
      path: issue.path,
      message: `${issue.code}: ${issue.message}`,
      ...(issue.line !== undefined ? { line: issue.line } : {}),
    })),
  };
  return createMessage('refused', { role: 'brain', id: ctx.id }, payload, re);
}

/**
 * Check a plan that came in one frame a chunk at a time, each in a turn of its own: checking 100,000 tasks in one
 * step took ~0.5 s idle, several times that on a loaded machine, with heartbeats and other clients waiting.
 */
export async function checkInTurns(check: PlanChecker, tasks: readonly PlanTask[]): Promise<void> {
  for (let from = 0; from < tasks.length; from += MAX_CHUNK_TASKS) {
    await nextTurn();
    check.add(tasks.slice(from, from + MAX_CHUNK_TASKS));
  }
}

/**
 * A plan has arrived whole: check its graph (on a turn of its own), then store it in slices and answer. A refusal
 * names every issue; nothing of a refused plan is stored.
 */
export async function acceptArrival(ctx: BrainContext, arrival: Arrival, reply: Reply): Promise<void> {
  await nextTurn();
  const { header, re } = arrival;
  const checked = arrival.check.finish();
  if (!checked.ok) {
    // Answered even when the event cannot be recorded (a full disk): nothing of the plan was stored either way.
    ctx.atomically(() => recordRefusal(ctx, header.plan, checked.issues));
    reply(planRefusal(ctx, header.plan, checked.issues, re));
    return;
  }
  const intake: Intake = { planId: newPlanId(header.plan), header, tasks: checked.value, source: arrival.source, re };
  await storeInSlices(ctx, intake, reply, () => announceAccepted(ctx, intake));
}

/**
 * Store a large plan in slices. The plan row and a marker go in first; each slice of tasks is its own
 * transaction; the last one removes the marker, and only then is the plan announced, queued and acknowledged (an
 * ack still means on disk, for the whole plan). A brain killed in between finds the marker at its next start and
 * drops the partial plan (`store.intake.dropUnfinishedIntakes`): nothing of a plan runs unless all of it was stored.
 * A cancel that came meanwhile waited (`planWaits`): it begins right after the ack, before anything is dispatched.
 */
export async function storeInSlices(
  ctx: BrainContext,
  intake: Intake,
  reply: Reply,
  announce: () => { ack: Message; effects: readonly BrainEffect[] },
): Promise<void> {
  const { store } = ctx;
  const { planId, header, tasks } = intake;
  const ids = new Map(tasks.map((task) => [task.name, `${planId}.${task.name}`]));
  try {
    store.intake.beginIntake(
      {
        plan_id: planId,
        name: header.plan,
        description: header.description,
        notes: header.notes,
        source: intake.source,
        allow_external_sensitive: header.allow_external_sensitive === true,
      },
      tasks.length,
    );
    for (let from = 0; from < tasks.length; from += SLICE_TASKS) {
      await nextTurn();
      const slice = tasks.slice(from, from + SLICE_TASKS);
      store.syncCommits(false);
      store.transaction(() => store.insertTasks(planId, slice, ids, intake.source, from));
    }
    await nextTurn();
    // The commit that makes the plan whole is the one the ack stands for: synced, so it survives power loss.
    store.syncCommits(true);
    const ack = store.transaction(() => {
      store.intake.finishIntake(planId);
      const accepted = announce();
      // On a turn of its own, like a timer: its effects are applied here, in the commit the ack stands for.
      applyEffects(ctx, accepted.effects);
      return accepted.ack;
    });
    reply(ack);
  } catch (error) {
    ctx.logger.error({ err: error, plan_id: planId }, 'storing a plan failed; it is dropped');
    try {
      store.intake.dropIntake(planId);
    } catch {
      // The database refuses writes (a full disk?): the marker stays, and the next start drops the plan.
    }
    const code = (error as { code?: unknown }).code === 'SQLITE_FULL' ? 'disk_full' : 'plan_not_stored';
    const why = `plan '${header.plan}' was not stored: ${(error as Error).message}`;
    reply(createMessage('refused', { role: 'brain', id: ctx.id }, { code, message: why, issues: [] }, intake.re));
    for (const waiter of ctx.planWaits.takeStoreWaiters(planId)) {
      const payload = { code: 'not_found', message: `${why}; there is nothing to cancel`, issues: [] };
      waiter.reply(createMessage('refused', { role: 'brain', id: ctx.id }, payload, waiter.re));
    }
    return;
  }
  const waiters = ctx.planWaits.takeStoreWaiters(planId);
  // In this turn, before the pump the ack's transaction asked for: none of a plan canceled while stored is dispatched.
  if (waiters.length > 0) beginPlanCancel(ctx, planId, waiters);
}

/**
 * A stored plan announced (inside the storing transaction): its event, its auto-fixes logged; returns the ack and
 * the effects that queue its ready tasks.
 */
export function announceAccepted(ctx: BrainContext, intake: Intake): { ack: Message; effects: readonly BrainEffect[] } {
  const { planId, header, tasks, source } = intake;
  const detail = { plan: header.plan, tasks: tasks.length, source };
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
    ack: createMessage('plan_accepted', { role: 'brain', id: ctx.id }, { plan_id: planId, tasks: accepted }, intake.re),
    effects,
  };
}

/**
 * The effects that queue a stored plan's ready tasks (read back in one query: a per-task read costs more for large
 * plans).
 */
export function enqueueReady(ctx: BrainContext, planId: string): BrainEffect[] {
  const effects: BrainEffect[] = ctx.store.queuedTasks(planId).map((row) => ({ kind: 'enqueue', row }));
  ctx.scheduler?.invalidate();
  ctx.schedulePump();
  return effects;
}
