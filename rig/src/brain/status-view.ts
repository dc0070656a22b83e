import { MAX_STATUS_PAGE, type PlanStatus, type TaskStatus, type TaskStatusRow } from '@rigmind/protocol';
import type { PlanRow, TaskRow } from '../store/rows.js';
import type { Store } from '../store/store.js';

type JoinedRow = TaskRow & { a_worker: string | null; a_rc: number | null; a_elapsed: number | null; a_sim: number | null };

/** Which task rows a status carries: a page of the plan's tasks in plan order. */
export interface TaskPage {
  readonly offset?: number | undefined;
  readonly limit?: number | undefined;
}

/**
 * A plan's status from the database: counts always, and when asked a page of its task rows (at most
 * MAX_STATUS_PAGE: a 100,000-task plan in one reply was 30 MB, built and parsed while everyone else waited).
 */
export function planStatus(store: Store, plan: PlanRow, includeTasks: boolean, page: TaskPage = {}): PlanStatus {
  const counts = Object.fromEntries(
    (store.db.prepare('SELECT status, count(*) AS n FROM tasks WHERE plan_id = ? GROUP BY status').all(plan.plan_id) as { status: TaskStatus; n: number }[]).map(
      (row) => [row.status, row.n],
    ),
  ) as Record<TaskStatus, number>;
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const status: PlanStatus = {
    plan_id: plan.plan_id,
    plan: plan.name,
    state: plan.state,
    submitted_at: plan.submitted_at,
    finished_at: plan.finished_at,
    counts,
    total,
  };
  if (includeTasks) {
    const rows = store.db
      .prepare(
        `SELECT t.*, a.worker_id AS a_worker, a.return_code AS a_rc, a.elapsed_seconds AS a_elapsed, a.simulated AS a_sim
         FROM tasks t LEFT JOIN attempts a ON a.task_id = t.task_id AND a.attempt = t.attempts
         WHERE t.plan_id = ? ORDER BY t.seq LIMIT ? OFFSET ?`,
      )
      .all(plan.plan_id, Math.min(page.limit ?? MAX_STATUS_PAGE, MAX_STATUS_PAGE), page.offset ?? 0) as JoinedRow[];
    status.tasks = rows.map(toStatusRow);
  }
  return status;
}

function toStatusRow(row: JoinedRow): TaskStatusRow {
  return {
    task_id: row.task_id,
    name: row.name,
    task_class: row.task_class,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    preemptions: row.preemptions,
    worker_id: row.a_worker,
    return_code: row.a_rc,
    elapsed_seconds: row.a_elapsed,
    cause: row.cause,
    source: row.source,
    fix_applied: row.fix_applied,
    next_attempt_at: row.next_attempt_at === null ? null : new Date(row.next_attempt_at).toISOString(),
    simulated: row.a_sim === 1,
  };
}
