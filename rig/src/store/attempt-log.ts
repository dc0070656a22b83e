import type { AttemptResult, PlanState } from '@rigmind/protocol';
import type { Connection } from './connection.js';

/** Statuses in which a task may still run: a plan with one of them is not finished. */
export const LIVE_STATUSES = "('blocked','queued','leased','running','retry_wait','waiting_external')";

/** A plan that has just reached a terminal state. */
export interface PlanFinished {
  readonly plan_id: string;
  readonly state: Exclude<PlanState, 'running'>;
}

/** Whether a status is terminal. */
export function isTerminal(status: string): boolean {
  return status === 'completed' || status === 'failed' || status === 'canceled';
}

/**
 * Whether a task is ready: blocked with nothing pending, waiting for the brain to release it into the queue (what
 * completing its last dependency, or restarting it, leaves it as).
 */
export function isReady(row: { status: string; pending_deps: number }): boolean {
  return row.status === 'blocked' && row.pending_deps === 0;
}

const RECORD_RESULT = `UPDATE attempts SET ended_at = ?, outcome = ?, return_code = ?, signal = ?, elapsed_seconds = ?,
    output_lines = ?, error_snippet = ?, stdout_path = ?, stderr_path = ?, tokens_generated = ?, tokens_per_second = ?,
    simulated = ?, worker_id = ?
  WHERE task_id = ? AND attempt = ?`;

/** Open a new attempt for a worker and give it the task's lease. */
export function openAttempt(db: Connection, taskId: string, attempt: number, workerId: string): void {
  db.run(
    'INSERT INTO attempts (task_id, attempt, worker_id, started_at) VALUES (?, ?, ?, ?)',
    taskId,
    attempt,
    workerId,
    db.isoNow(),
  );
  db.run(
    'INSERT OR REPLACE INTO leases (task_id, attempt, worker_id, leased_at) VALUES (?, ?, ?, ?)',
    taskId,
    attempt,
    workerId,
    db.now(),
  );
}

/** Record what a worker reported of an attempt. */
export function recordResult(
  db: Connection,
  taskId: string,
  attempt: number,
  result: AttemptResult,
  workerId: string,
): void {
  db.run(
    RECORD_RESULT,
    db.isoNow(),
    result.outcome,
    result.return_code,
    result.signal,
    result.elapsed_seconds,
    result.output_lines,
    result.error_snippet,
    result.stdout_path ?? null,
    result.stderr_path ?? null,
    result.tokens_generated ?? null,
    result.tokens_per_second ?? null,
    result.simulated === true ? 1 : 0,
    workerId,
    taskId,
    attempt,
  );
}

/** Take a task's lease away and end its attempt with `outcome`; returns the lease, or undefined if there was none. */
export function endLease(
  db: Connection,
  taskId: string,
  outcome: 'error' | 'canceled',
  why: string | null,
): { attempt: number; worker_id: string } | undefined {
  const lease = db.get<{ attempt: number; worker_id: string }>(
    'SELECT attempt, worker_id FROM leases WHERE task_id = ?',
    taskId,
  );
  if (lease === undefined) return undefined;
  db.run('DELETE FROM leases WHERE task_id = ?', taskId);
  const sql =
    'UPDATE attempts SET ended_at = ?, outcome = ?, error_snippet = coalesce(?, error_snippet) WHERE task_id = ? ' +
    'AND attempt = ?';
  db.run(sql, db.isoNow(), outcome, why, taskId, lease.attempt);
  return lease;
}

/** A task's direct dependents. */
export function dependentsOf(db: Connection, taskId: string): string[] {
  return db.values<string>('SELECT task_id FROM deps WHERE needs_task_id = ?', taskId);
}

/** If no task of the plan is live any more, settle the plan's state and say so. */
export function settlePlan(db: Connection, planId: string): PlanFinished | undefined {
  if (db.get(`SELECT 1 FROM tasks WHERE plan_id = ? AND status IN ${LIVE_STATUSES} LIMIT 1`, planId) !== undefined)
    return undefined;
  const state = db.value<string>('SELECT state FROM plans WHERE plan_id = ?', planId);
  if (state !== 'running') return undefined;
  // The brain's own resource tasks (model loads) do not decide whether the plan's work succeeded.
  const sql = "SELECT status, count(*) AS n FROM tasks WHERE plan_id = ? AND task_class != 'resource' GROUP BY status";
  const counts = db.all<{ status: string; n: number }>(sql, planId);
  const has = (status: string) => counts.some((count) => count.status === status && count.n > 0);
  const settled = has('failed') ? 'failed' : has('canceled') ? 'canceled' : 'completed';
  db.run('UPDATE plans SET state = ?, finished_at = ? WHERE plan_id = ?', settled, db.isoNow(), planId);
  return { plan_id: planId, state: settled };
}

/** Why an attempt failed, in a line. */
export function describeFailure(result: AttemptResult): string {
  if (result.outcome === 'timeout') return `timeout after ${result.elapsed_seconds.toFixed(1)}s`;
  if (result.outcome === 'error') return `error: ${result.error_snippet.slice(-200)}`;
  if (result.signal !== null) return `killed by ${result.signal}`;
  return `exit code ${String(result.return_code)}`;
}
