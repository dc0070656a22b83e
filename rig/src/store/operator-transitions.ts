import { endLease } from './attempt-log.js';
import type { TaskRow } from './rows.js';
import { announce, type Named } from './task-events.js';
import { NAMED, TASK, type Machine } from './task-outcomes.js';

/** A lease called back from its worker by a transition. */
export interface RevokedLease {
  readonly task_id: string;
  readonly attempt: number;
  readonly worker_id: string;
}

// The transitions a person or the escalation path asks for, rather than an attempt's course. `Transitions` is their
// one door; they are here to keep each file to one concept.

const CANCEL = "UPDATE tasks SET status = 'canceled', cause = ?, finished_at = ? WHERE task_id = ?";

/** Cancel live tasks by a person's word, announcing each: their leases are called back (returned), attempts end. */
export function cancelTasks(m: Machine, taskIds: readonly string[], cause: string): RevokedLease[] {
  const finished = m.db.isoNow();
  const revoked: RevokedLease[] = [];
  for (const id of taskIds) {
    const lease = endLease(m.db, id, 'canceled', null);
    if (lease !== undefined) revoked.push({ task_id: id, ...lease });
    m.db.run(CANCEL, cause, finished, id);
    const canceled = m.db.get<Named>(NAMED, id);
    if (canceled !== undefined) announce(m.events, 'task_canceled', canceled, { cause });
  }
  return revoked;
}

const PENDING = `SELECT count(*) FROM deps d JOIN tasks t ON t.task_id = d.needs_task_id
  WHERE d.task_id = ? AND t.status != 'completed'`;
const RESTART = `UPDATE tasks SET pending_deps = ?, retry_count = 0, cause = NULL, finished_at = NULL, queued_at = ?,
    next_attempt_at = NULL WHERE task_id = ?`;

/**
 * Give tasks of one plan a fresh start: each waits (blocked) for its unfinished dependencies, with a fresh retry
 * budget, and their plan runs again. With a `cause`, each is announced requeued, saying it. Returns those with
 * nothing to wait for: ready, for `release` to queue.
 */
export function restartTasks(m: Machine, planId: string, taskIds: readonly string[], cause?: string): string[] {
  // All are blocked first so that the pending count of each one sees the others as not complete.
  for (const id of taskIds) m.db.run("UPDATE tasks SET status = 'blocked' WHERE task_id = ?", id);
  const ready: string[] = [];
  const now = m.db.now();
  for (const id of taskIds) {
    const count = m.db.value<number>(PENDING, id) ?? 0;
    if (count === 0) ready.push(id);
    m.db.run(RESTART, count, count === 0 ? now : null, id);
    const task = cause === undefined ? undefined : m.db.get<Named>(NAMED, id);
    if (task !== undefined && cause !== undefined) announce(m.events, 'task_requeued', task, { cause });
  }
  m.db.run("UPDATE plans SET state = 'running', finished_at = NULL WHERE plan_id = ?", planId);
  return ready;
}

/**
 * A task waits for the external tier (escalated, or flagged requires_external with no gateway): its status says
 * `cause`, and it is announced escalated for `why`.
 */
export function waitExternal(m: Machine, task: Named, cause: string, why: string): void {
  m.db.run("UPDATE tasks SET status = 'waiting_external', cause = ? WHERE task_id = ?", cause, task.task_id);
  announce(m.events, 'task_escalated', task, { cause: why });
}

/**
 * A prompt too long for its worker's model goes to the brain's model instead (no model of its own any more), back in
 * the queue at once, announced requeued for `cause`. Returns the task as queued now.
 */
export function moveToBrain(m: Machine, taskId: string, cause: string): TaskRow | undefined {
  const sql = `UPDATE tasks SET executor = 'brain', model = NULL, status = 'queued', queued_at = ?,
      next_attempt_at = NULL, cause = ? WHERE task_id = ?`;
  m.db.run(sql, m.db.now(), cause, taskId);
  const row = m.db.get<TaskRow>(TASK, taskId);
  if (row !== undefined) announce(m.events, 'task_requeued', row, { cause });
  return row;
}

/**
 * A task the external tier split waits (blocked) for the subtasks it advised, already inserted: they become its
 * dependencies, in `depends_on` too. Call inside the transaction that inserted them. Not announced: the advice
 * (`task_advised`) says it.
 */
export function blockOnSubtasks(
  m: Machine,
  taskId: string,
  subtaskIds: readonly string[],
  dependsOn: readonly string[],
  cause: string,
): void {
  const sql = "UPDATE tasks SET status = 'blocked', pending_deps = ?, depends_on = ?, cause = ? WHERE task_id = ?";
  m.db.run(sql, subtaskIds.length, JSON.stringify(dependsOn), cause, taskId);
  for (const id of subtaskIds)
    m.db.run('INSERT OR IGNORE INTO deps (task_id, needs_task_id) VALUES (?, ?)', taskId, id);
}

/**
 * Cancel a resource task that will not run (it was planned for cards as they were). Not announced: the load the
 * scheduler plans anew in its place is, when it is dispatched.
 */
export function cancelResource(m: Machine, taskId: string, cause: string): void {
  const sql = `UPDATE tasks SET status = 'canceled', cause = ?, finished_at = ?
    WHERE task_id = ? AND task_class = 'resource' AND status IN ('queued','retry_wait')`;
  m.db.run(sql, cause, m.db.isoNow(), taskId);
}
