import { dependentsOf, isTerminal } from './attempt-log.js';
import { connectionOf } from './connection.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';
import type { PlanFinished, RevokedLease, Transitions } from './transitions.js';

/** What a cancel did: tasks now canceled, the leases to call back from workers, and a finished plan. */
export interface CancelEffect {
  readonly canceled: string[];
  readonly revoked: RevokedLease[];
  readonly plan?: PlanFinished;
}

/** Refusal of an operator action, as a value. */
export interface ActionRefused {
  readonly code: 'not_found' | 'not_retryable' | 'already_finished';
  readonly message: string;
}

/** Cancel a plan (every live task) or one task and its dependents. */
export function cancelTarget(store: Store, transitions: Transitions, target: string): CancelEffect | ActionRefused {
  const db = connectionOf(store);
  return transitions.atomically((): CancelEffect | ActionRefused => {
    const plan = store.plan(target);
    const task = plan === undefined ? store.task(target) : undefined;
    if (plan === undefined && task === undefined) return { code: 'not_found', message: `no plan or task '${target}'` };
    const planId = plan?.plan_id ?? task?.plan_id ?? target;
    const ids =
      plan !== undefined
        ? db.values<string>(
            "SELECT task_id FROM tasks WHERE plan_id = ? AND status NOT IN ('completed','failed','canceled')",
            planId,
          )
        : task !== undefined && !isTerminal(task.status)
          ? [task.task_id]
          : [];
    if (ids.length === 0) return { code: 'already_finished', message: `'${target}' has nothing left to cancel` };
    const revoked = transitions.cancel(ids, 'canceled by operator');
    const canceled = [...ids];
    if (task !== undefined)
      canceled.push(...transitions.cascade(task.task_id, 'canceled', `upstream_canceled: ${task.name}`));
    const done = transitions.planFinished(planId);
    return done === undefined ? { canceled, revoked } : { canceled, revoked, plan: done };
  });
}

const cancelKey = (planId: string): string => `cancel:${planId}`;
const LIVE = "status NOT IN ('completed','failed','canceled')";

/** How many of a plan's tasks are not finished. */
export function liveTaskCount(store: Store, planId: string): number {
  return connectionOf(store).value<number>(`SELECT count(*) FROM tasks WHERE plan_id = ? AND ${LIVE}`, planId) ?? 0;
}

/** A plan's tasks the brain holds in memory to run (queued, or backing off): a cancel takes them out first. */
export function waitingTaskIds(store: Store, planId: string): string[] {
  const sql = "SELECT task_id FROM tasks WHERE plan_id = ? AND status IN ('queued','retry_wait')";
  return connectionOf(store).values<string>(sql, planId);
}

/**
 * Mark a plan as being canceled in slices (call inside a transaction): a brain that stops before the last slice
 * finds the mark at its next start and finishes the cancel ({@link pendingCancels}).
 */
export function markCancel(store: Store, planId: string): void {
  connectionOf(store).run('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)', cancelKey(planId), planId);
}

/** Plans a stopped brain was canceling in slices. */
export function pendingCancels(store: Store): string[] {
  return connectionOf(store).values<string>("SELECT value FROM meta WHERE key LIKE 'cancel:%' ORDER BY key");
}

/**
 * Cancel up to `limit` live tasks of a plan, those that may run first (running, queued, ...) before the blocked:
 * one slice of a large cancel, each its own transaction. With `limit` undefined, the last: whatever is left, the
 * mark removed, and the plan settled (returned when it finished).
 */
export function cancelPlanSlice(store: Store, transitions: Transitions, planId: string, limit?: number): CancelEffect {
  const db = connectionOf(store);
  return transitions.atomically((): CancelEffect => {
    const order = "ORDER BY status = 'blocked', seq";
    const ids =
      limit === undefined
        ? db.values<string>(`SELECT task_id FROM tasks WHERE plan_id = ? AND ${LIVE} ${order}`, planId)
        : db.values<string>(`SELECT task_id FROM tasks WHERE plan_id = ? AND ${LIVE} ${order} LIMIT ?`, planId, limit);
    const revoked = ids.length > 0 ? transitions.cancel(ids, 'canceled by operator') : [];
    if (limit !== undefined) return { canceled: ids, revoked };
    db.run('DELETE FROM meta WHERE key = ?', cancelKey(planId));
    const done = transitions.planFinished(planId);
    return done === undefined ? { canceled: ids, revoked } : { canceled: ids, revoked, plan: done };
  });
}

/**
 * The dependents that failed or were canceled because of `root` (directly or down the chain), `root` first;
 * without those that another failed or canceled dependency would keep blocked for ever: restarting them would
 * leave them waiting and their plan unfinished.
 */
function withDependentsItFailed(store: Store, root: TaskRow): string[] {
  const db = connectionOf(store);
  const causes = [`upstream_failed: ${root.name}`, `upstream_canceled: ${root.name}`];
  const candidates = new Set([root.task_id]);
  const stack = [root.task_id];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    for (const id of dependentsOf(db, next)) {
      if (candidates.has(id)) continue;
      const row = store.task(id);
      if (
        row !== undefined &&
        (row.status === 'failed' || row.status === 'canceled') &&
        row.cause !== null &&
        causes.includes(row.cause)
      ) {
        candidates.add(id);
        stack.push(id);
      }
    }
  }
  // Drop, until none is left, a candidate with a dead dependency outside the set (dropping one can strand another).
  const deadDeps =
    'SELECT d.needs_task_id FROM deps d JOIN tasks t ON t.task_id = d.needs_task_id WHERE d.task_id = ? AND ' +
    "t.status IN ('failed', 'canceled')";
  for (let dropped = true; dropped; ) {
    dropped = false;
    for (const id of candidates) {
      if (id !== root.task_id && db.values<string>(deadDeps, id).some((dep) => !candidates.has(dep))) {
        candidates.delete(id);
        dropped = true;
      }
    }
  }
  return [...candidates];
}

/**
 * Re-queue a failed (or canceled) task with a fresh retry budget, together with the dependents that failed because of
 * it, each announced requeued. Returns those ready (for the brain to release) and all it reset.
 */
export function retryTask(
  store: Store,
  transitions: Transitions,
  taskId: string,
): { requeued: string[]; reset: string[] } | ActionRefused {
  return transitions.atomically(() => {
    const root = store.task(taskId);
    if (root === undefined) return { code: 'not_found' as const, message: `no task '${taskId}'` };
    if (root.status !== 'failed' && root.status !== 'canceled') {
      return {
        code: 'not_retryable' as const,
        message: `task '${taskId}' is ${root.status}; only failed or canceled tasks can be retried`,
      };
    }
    const reset = withDependentsItFailed(store, root);
    return { requeued: transitions.restart(root.plan_id, reset, 'retry requested by operator'), reset };
  });
}

/**
 * Reopen a failed task for another way of doing it (a person escalating it): the dependents that failed because
 * of it wait for it again (blocked), and its plan runs again. The task itself is left for the caller to move on
 * (its attempts stay: they are what the external tier is shown). The dependents are not announced: nothing of them
 * is queued, and the task's own move says what happens. Returns the dependents reopened. Call inside the caller's
 * transaction, together with that move.
 */
export function reopenDependents(store: Store, transitions: Transitions, root: TaskRow): string[] {
  const dependents = withDependentsItFailed(store, root).slice(1);
  transitions.restart(root.plan_id, dependents);
  connectionOf(store).run('UPDATE tasks SET finished_at = NULL WHERE task_id = ?', root.task_id);
  return dependents;
}
