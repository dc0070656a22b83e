import { setImmediate as nextTurn } from 'node:timers/promises';
import { createMessage, type Message, type MessageOf } from '@rigmind/protocol';
import type { NewTask } from '../store/rows.js';
import { applyEffects } from './apply-effects.js';
import type { BrainContext } from './brain-context.js';
import type { BrainEffect } from './effects.js';

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
  readonly message: MessageOf<'submit_plan'>;
  readonly tasks: readonly NewTask[];
  readonly source: string;
}

/**
 * Store a large plan in slices. The plan row and a marker go in first; each slice of tasks is its own
 * transaction; the last one removes the marker, and only then is the plan announced, queued and acknowledged (an
 * ack still means on disk, for the whole plan). A brain killed in between finds the marker at its next start and
 * drops the partial plan (`store.intake.dropUnfinishedIntakes`): nothing of a plan runs unless all of it was stored.
 */
export async function storeInSlices(
  ctx: BrainContext,
  intake: Intake,
  reply: Reply,
  announce: () => { ack: Message; effects: readonly BrainEffect[] },
): Promise<void> {
  const { store } = ctx;
  const { planId, message, tasks } = intake;
  const ids = new Map(tasks.map((task) => [task.name, `${planId}.${task.name}`]));
  try {
    store.intake.beginIntake(
      {
        plan_id: planId,
        name: message.plan.plan,
        description: message.plan.description,
        notes: message.plan.notes,
        source: intake.source,
        allow_external_sensitive: message.plan.allow_external_sensitive === true,
      },
      tasks.length,
    );
    for (let from = 0; from < tasks.length; from += SLICE_TASKS) {
      await nextTurn();
      const slice = tasks.slice(from, from + SLICE_TASKS);
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
    const why = `plan '${message.plan.plan}' was not stored: ${(error as Error).message}`;
    reply(createMessage('refused', { role: 'brain', id: ctx.id }, { code, message: why, issues: [] }, message.msg_id));
  }
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
