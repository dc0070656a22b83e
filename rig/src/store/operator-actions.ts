import type { PlanFinished } from './transitions.js';
import { isTerminal, type Transitions } from './transitions.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';

/** What a cancel did: tasks now canceled, the leases to call back from workers, and a finished plan. */
export interface CancelEffect {
  readonly canceled: string[];
  readonly revoked: { task_id: string; attempt: number; worker_id: string }[];
  readonly plan?: PlanFinished;
}

/** Refusal of an operator action, as a value. */
export interface ActionRefused {
  readonly code: 'not_found' | 'not_retryable' | 'already_finished';
  readonly message: string;
}

/** Cancel a plan (every live task) or one task and its dependents. */
export function cancelTarget(store: Store, transitions: Transitions, target: string): CancelEffect | ActionRefused {
  return store.db.transaction((): CancelEffect | ActionRefused => {
    const plan = store.plan(target);
    const task = plan === undefined ? store.task(target) : undefined;
    if (plan === undefined && task === undefined) return { code: 'not_found', message: `no plan or task '${target}'` };
    const planId = plan?.plan_id ?? (task?.plan_id as string);
    const ids =
      plan !== undefined
        ? (store.db
            .prepare("SELECT task_id FROM tasks WHERE plan_id = ? AND status NOT IN ('completed','failed','canceled')")
            .pluck()
            .all(planId) as string[])
        : task !== undefined && !isTerminal(task.status)
          ? [task.task_id]
          : [];
    if (ids.length === 0) return { code: 'already_finished', message: `'${target}' has nothing left to cancel` };
    const finished = store.isoNow();
    const mark = store.db.prepare("UPDATE tasks SET status = 'canceled', cause = ?, finished_at = ? WHERE task_id = ?");
    const leaseOf = store.db.prepare('SELECT task_id, attempt, worker_id FROM leases WHERE task_id = ?');
    const revoked: CancelEffect['revoked'] = [];
    const canceled: string[] = [];
    for (const id of ids) {
      const lease = leaseOf.get(id) as CancelEffect['revoked'][number] | undefined;
      if (lease !== undefined) {
        revoked.push(lease);
        store.db.prepare('DELETE FROM leases WHERE task_id = ?').run(id);
        store.db
          .prepare("UPDATE attempts SET ended_at = ?, outcome = 'canceled' WHERE task_id = ? AND attempt = ?")
          .run(finished, id, lease.attempt);
      }
      mark.run('canceled by operator', finished, id);
      canceled.push(id);
    }
    if (task !== undefined) canceled.push(...transitions.cascade(task.task_id, 'canceled', `upstream_canceled: ${task.name}`));
    const done = transitions.planFinished(planId);
    return done === undefined ? { canceled, revoked } : { canceled, revoked, plan: done };
  })();
}

/**
 * The dependents that failed or were canceled because of `root` (directly or down the chain), `root` first;
 * without those that another failed or canceled dependency would keep blocked for ever: restarting them would
 * leave them waiting and their plan unfinished.
 */
function withDependentsItFailed(store: Store, root: TaskRow): string[] {
  const causes = [`upstream_failed: ${root.name}`, `upstream_canceled: ${root.name}`];
  const dependentsOf = store.db.prepare('SELECT task_id FROM deps WHERE needs_task_id = ?').pluck();
  const candidates = new Set([root.task_id]);
  const stack = [root.task_id];
  while (stack.length > 0) {
    for (const id of dependentsOf.all(stack.pop() as string) as string[]) {
      if (candidates.has(id)) continue;
      const row = store.task(id);
      if (row !== undefined && (row.status === 'failed' || row.status === 'canceled') && row.cause !== null && causes.includes(row.cause)) {
        candidates.add(id);
        stack.push(id);
      }
    }
  }
  // Drop, until none is left, a candidate with a dead dependency outside the set (dropping one can strand another).
  const deadDeps = store.db
    .prepare("SELECT d.needs_task_id FROM deps d JOIN tasks t ON t.task_id = d.needs_task_id WHERE d.task_id = ? AND t.status IN ('failed', 'canceled')")
    .pluck();
  for (let dropped = true; dropped; ) {
    dropped = false;
    for (const id of candidates) {
      if (id !== root.task_id && (deadDeps.all(id) as string[]).some((dep) => !candidates.has(dep))) {
        candidates.delete(id);
        dropped = true;
      }
    }
  }
  return [...candidates];
}

/**
 * Give `ids` (a root and the dependents it failed) a fresh start: each waits for its unfinished dependencies
 * (blocked) or is queued, with a fresh retry budget, and their plan runs again. Returns the queued ones.
 */
function restart(store: Store, planId: string, ids: readonly string[]): string[] {
  const pending = store.db.prepare(
    "SELECT count(*) FROM deps d JOIN tasks t ON t.task_id = d.needs_task_id WHERE d.task_id = ? AND t.status != 'completed'",
  );
  const update = store.db.prepare(
    `UPDATE tasks SET status = ?, pending_deps = ?, retry_count = 0, cause = NULL, finished_at = NULL,
       queued_at = ?, next_attempt_at = NULL WHERE task_id = ?`,
  );
  // All get 'blocked' first so that the pending count of each one sees the others as not complete.
  for (const id of ids) store.db.prepare("UPDATE tasks SET status = 'blocked' WHERE task_id = ?").run(id);
  const requeued: string[] = [];
  const now = store.now();
  for (const id of ids) {
    const count = pending.pluck().get(id) as number;
    if (count === 0) requeued.push(id);
    update.run(count === 0 ? 'queued' : 'blocked', count, count === 0 ? now : null, id);
  }
  store.db.prepare("UPDATE plans SET state = 'running', finished_at = NULL WHERE plan_id = ?").run(planId);
  return requeued;
}

/** Re-queue a failed (or canceled) task with a fresh retry budget, together with the dependents that failed because of it. */
export function retryTask(store: Store, taskId: string): { requeued: string[]; reset: string[] } | ActionRefused {
  return store.db.transaction(() => {
    const root = store.task(taskId);
    if (root === undefined) return { code: 'not_found' as const, message: `no task '${taskId}'` };
    if (root.status !== 'failed' && root.status !== 'canceled') {
      return { code: 'not_retryable' as const, message: `task '${taskId}' is ${root.status}; only failed or canceled tasks can be retried` };
    }
    const reset = withDependentsItFailed(store, root);
    return { requeued: restart(store, root.plan_id, reset), reset };
  })();
}

/**
 * Reopen a failed task for another way of doing it (a person escalating it): the dependents that failed because
 * of it wait for it again (blocked), and its plan runs again. The task itself is left for the caller to move on
 * (its attempts stay: they are what the external tier is shown). Returns the dependents reopened. Call inside
 * the caller's transaction, together with that move.
 */
export function reopenDependents(store: Store, root: TaskRow): string[] {
  const dependents = withDependentsItFailed(store, root).slice(1);
  restart(store, root.plan_id, dependents);
  store.db.prepare('UPDATE tasks SET finished_at = NULL WHERE task_id = ?').run(root.task_id);
  return dependents;
}
