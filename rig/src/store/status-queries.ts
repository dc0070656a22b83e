import type { TaskStatus } from '@rigmind/protocol';
import type { Connection } from './connection.js';
import type { TaskRow } from './rows.js';

/** A task of a status page with what its last attempt left: who ran it, its exit code and time. */
export type TaskWithLastAttempt = TaskRow & {
  a_worker: string | null;
  a_rc: number | null;
  a_elapsed: number | null;
  a_sim: number | null;
};

/** A worker's totals, kept by a trigger as its attempts end. */
export interface WorkerTotals {
  readonly tokens_per_second: number | null;
  readonly completed: number;
  readonly failed: number;
}

const PAGE_SQL = `SELECT t.*, a.worker_id AS a_worker, a.return_code AS a_rc, a.elapsed_seconds AS a_elapsed,
  a.simulated AS a_sim
  FROM tasks t LEFT JOIN attempts a ON a.task_id = t.task_id AND a.attempt = t.attempts
  WHERE t.plan_id = ? ORDER BY t.seq LIMIT ? OFFSET ?`;

/** What `status` reads: counts, pages of tasks, workers' totals. */
export class StatusQueries {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** How many of a plan's tasks are in each status (statuses with none are absent). */
  planCounts(planId: string): Partial<Record<TaskStatus, number>> {
    const rows = this.#db.all<{ status: TaskStatus; n: number }>(
      'SELECT status, count(*) AS n FROM tasks WHERE plan_id = ? GROUP BY status',
      planId,
    );
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  /** A page of a plan's tasks in plan order, each with its last attempt. */
  planPage(planId: string, limit: number, offset: number): TaskWithLastAttempt[] {
    return this.#db.all<TaskWithLastAttempt>(PAGE_SQL, planId, limit, offset);
  }

  /** Every worker's totals, by worker id (one row per worker, not a scan of the rig's history). */
  workerTotals(): Map<string, WorkerTotals> {
    const sql =
      'SELECT worker_id, CASE WHEN tps_n > 0 THEN tps_sum / tps_n END AS tps, completed, failed FROM worker_stats';
    const rows = this.#db.all<{ worker_id: string; tps: number | null; completed: number; failed: number }>(sql);
    return new Map(
      rows.map((row) => [row.worker_id, { tokens_per_second: row.tps, completed: row.completed, failed: row.failed }]),
    );
  }
}
