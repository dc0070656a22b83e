import type { AttemptResult } from '@rigmind/protocol';
import {
  dependentsOf,
  describeFailure,
  endLease,
  isTerminal,
  LIVE_STATUSES,
  openAttempt,
  recordResult,
  settlePlan,
  type PlanFinished,
} from './attempt-log.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { connectionOf, type Connection } from './connection.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';

export { isTerminal, type PlanFinished } from './attempt-log.js';

/** What finishing an attempt did. */
export type FinishEffect =
  | { readonly kind: 'stale' }
  | { readonly kind: 'completed'; readonly released: string[]; readonly plan?: PlanFinished }
  /**
   * `requeued`: the task is back in the queue now (a lost lease: not a failure). Otherwise it failed and waits in
   * `retry_wait` until `next_attempt_at`, even when full jitter drew 0 ms, so every retry after a failure is a
   * scheduled one.
   */
  | { readonly kind: 'retry'; readonly delay_ms: number; readonly next_attempt_at: number; readonly requeued: boolean }
  /** The prompt does not fit the worker's model: no failure counted; the task waits, out of the queue, to be placed. */
  | { readonly kind: 'too_long' }
  | { readonly kind: 'failed'; readonly cause: string; readonly cascaded: string[]; readonly plan?: PlanFinished };

/** A lease called back from its worker by a transition. */
export interface RevokedLease {
  readonly task_id: string;
  readonly attempt: number;
  readonly worker_id: string;
}

const TASK = 'SELECT * FROM tasks WHERE task_id = ?';

/**
 * The task state machine: its transitions, each one SQLite transaction, are the only writers of a task's status
 * (test/rig/store/one-door.test.ts checks). The in-memory queue follows what they return; the caller announces it.
 */
export class Transitions {
  readonly #db: Connection;
  readonly #store: Store;
  readonly #backoff: BackoffPolicy;

  /** Jitter draws from the store's runtime: one injected source for the clock and randomness of a state database. */
  constructor(store: Store, backoff: BackoffPolicy) {
    this.#db = connectionOf(store);
    this.#store = store;
    this.#backoff = backoff;
  }

  #task(taskId: string): TaskRow | undefined {
    return this.#db.get<TaskRow>(TASK, taskId);
  }

  /**
   * Lease a queued task to a worker: a new attempt. Returns the attempt number, or undefined if it is no longer queued.
   */
  lease(taskId: string, workerId: string): { attempt: number; row: TaskRow } | undefined {
    return this.#db.transaction(() => {
      const row = this.#task(taskId);
      if (row === undefined || row.status !== 'queued') return undefined;
      const attempt = row.attempts + 1;
      this.#db.run("UPDATE tasks SET status = 'leased', attempts = ? WHERE task_id = ?", attempt, taskId);
      openAttempt(this.#db, taskId, attempt, workerId);
      return { attempt, row: { ...row, status: 'leased' as const, attempts: attempt } };
    });
  }

  /**
   * The worker reports the attempt started: a leased task whose live lease it is becomes running. Returns the
   * task's plan and name if it did (one statement: it runs for every task, on the result path for short ones).
   */
  markRunning(taskId: string, attempt: number, workerId: string): { plan_id: string; name: string } | undefined {
    const sql = `UPDATE tasks SET status = 'running' WHERE task_id = ? AND status = 'leased'
        AND EXISTS (SELECT 1 FROM leases WHERE task_id = ? AND attempt = ? AND worker_id = ?)
      RETURNING plan_id, name`;
    return this.#db.get<{ plan_id: string; name: string }>(sql, taskId, taskId, attempt, workerId);
  }

  /**
   * Record an attempt's result and move the task on: complete and release dependents, back off and retry, or fail.
   * Only the worker holding the attempt's lease may finish it (`stale` otherwise). A prompt too long for the
   * model is no failure of the task: it ends `too_long`, out of the queue, for the caller to place elsewhere.
   */
  finish(taskId: string, attempt: number, result: AttemptResult, workerId: string): FinishEffect {
    return this.#db.transaction((): FinishEffect => {
      // Deleting the lease is the check that it is this attempt's and this worker's: one statement, not two.
      const deleted = this.#db.run(
        'DELETE FROM leases WHERE task_id = ? AND attempt = ? AND worker_id = ?',
        taskId,
        attempt,
        workerId,
      );
      if (deleted.changes === 0) return { kind: 'stale' };
      recordResult(this.#db, taskId, attempt, result, workerId);
      const row = this.#task(taskId);
      if (row === undefined) return { kind: 'stale' };
      if (result.outcome === 'completed') return this.#complete(row, result.output ?? null);
      if (result.outcome === 'canceled') return { kind: 'failed', cause: 'canceled', cascaded: [] };
      if (result.context_exceeded !== undefined) {
        this.#db.run("UPDATE tasks SET status = 'retry_wait', next_attempt_at = NULL WHERE task_id = ?", taskId);
        return { kind: 'too_long' };
      }
      return this.#failOrRetry(row, describeFailure(result));
    });
  }

  /**
   * The worker holding this lease died or came back without it. That is not a failed attempt: the task goes back
   * to the queue at once without using a retry. Lost leases are counted on their own, and past `limit` the task
   * fails, so that a task that kills its worker every time does not go round forever.
   */
  loseLease(taskId: string, reason: string, limit: number): FinishEffect {
    return this.#db.transaction((): FinishEffect => {
      if (endLease(this.#db, taskId, 'error', reason) === undefined) return { kind: 'stale' };
      this.#db.run('UPDATE tasks SET lost_leases = lost_leases + 1 WHERE task_id = ?', taskId);
      const row = this.#task(taskId);
      if (row === undefined) return { kind: 'stale' };
      if (row.lost_leases > limit) {
        return this.#fail(row, `${reason} (lost its worker ${row.lost_leases} times; max_lost_leases is ${limit})`);
      }
      const now = this.#db.now();
      this.#db.run(
        "UPDATE tasks SET status = 'queued', cause = ?, queued_at = ?, next_attempt_at = NULL WHERE task_id = ?",
        reason,
        now,
        taskId,
      );
      return { kind: 'retry', delay_ms: 0, next_attempt_at: now, requeued: true };
    });
  }

  /**
   * The scheduler stops a running attempt for urgent work: the attempt ends `canceled` (preempted), the task goes
   * back to the queue keeping its place in line (queued_at) and its retries, and the preemption is counted.
   */
  preempt(taskId: string, reason: string): { attempt: number; worker_id: string } | undefined {
    return this.#db.transaction(() => {
      const lease = endLease(this.#db, taskId, 'canceled', reason);
      if (lease === undefined) return undefined;
      const sql = `UPDATE tasks SET status = 'queued', preemptions = preemptions + 1, cause = ?,
          queued_at = coalesce(queued_at, ?) WHERE task_id = ?`;
      this.#db.run(sql, reason, this.#db.now(), taskId);
      return lease;
    });
  }

  /** Cancel a resource task that will not run (it was planned for cards as they were). */
  cancelResource(taskId: string, cause: string): void {
    const sql = `UPDATE tasks SET status = 'canceled', cause = ?, finished_at = ?
      WHERE task_id = ? AND task_class = 'resource' AND status IN ('queued','retry_wait')`;
    this.#db.run(sql, cause, this.#db.isoNow(), taskId);
  }

  /** A retry_wait task whose backoff is over goes back to the queue. */
  requeue(taskId: string): boolean {
    const sql =
      "UPDATE tasks SET status = 'queued', queued_at = ?, next_attempt_at = NULL WHERE task_id = ? AND status = " +
      "'retry_wait'";
    return this.#db.run(sql, this.#db.now(), taskId).changes === 1;
  }

  /** Complete a task without a worker (advice answered it); same cascade as a worker's completion. */
  completeDirectly(taskId: string, output: string, source: string): FinishEffect {
    return this.#db.transaction((): FinishEffect => {
      const row = this.#task(taskId);
      if (row === undefined || isTerminal(row.status)) return { kind: 'stale' };
      this.#db.run('UPDATE tasks SET source = ? WHERE task_id = ?', source, taskId);
      return this.#complete(row, output);
    });
  }

  /** Fail a task now with a cause (a definition error, a decline), cascading to its dependents. */
  failDirectly(taskId: string, cause: string): FinishEffect {
    return this.#db.transaction((): FinishEffect => {
      const row = this.#task(taskId);
      if (row === undefined || isTerminal(row.status)) return { kind: 'stale' };
      this.#db.run('DELETE FROM leases WHERE task_id = ?', taskId);
      return this.#fail(row, cause);
    });
  }

  /** Move a task to another live state (waiting_external and back). */
  setStatus(taskId: string, status: 'waiting_external' | 'queued', cause: string | null): void {
    const sql =
      "UPDATE tasks SET status = ?, cause = ?, queued_at = CASE WHEN ? = 'queued' THEN ? ELSE queued_at END WHERE " +
      'task_id = ?';
    this.#db.run(sql, status, cause, status, this.#db.now(), taskId);
  }

  /**
   * A prompt too long for its worker's model goes to the brain's model instead (no model of its own any more), back
   * in the queue at once. Returns the task as queued now.
   */
  moveToBrain(taskId: string, cause: string): TaskRow | undefined {
    const sql = `UPDATE tasks SET executor = 'brain', model = NULL, status = 'queued', queued_at = ?,
      next_attempt_at = NULL,
        cause = ? WHERE task_id = ?`;
    this.#db.run(sql, this.#db.now(), cause, taskId);
    return this.#task(taskId);
  }

  /**
   * A task the external tier split waits (blocked) for the subtasks it advised, already inserted: they become its
   * dependencies, in `depends_on` too. Call inside the transaction that inserted them.
   */
  blockOnSubtasks(taskId: string, subtaskIds: readonly string[], dependsOn: readonly string[], cause: string): void {
    const sql = "UPDATE tasks SET status = 'blocked', pending_deps = ?, depends_on = ?, cause = ? WHERE task_id = ?";
    this.#db.run(sql, subtaskIds.length, JSON.stringify(dependsOn), cause, taskId);
    for (const id of subtaskIds)
      this.#db.run('INSERT OR IGNORE INTO deps (task_id, needs_task_id) VALUES (?, ?)', taskId, id);
  }

  /** Cancel live tasks by a person's word: their leases are called back (returned) and their attempts end. */
  cancel(taskIds: readonly string[], cause: string): RevokedLease[] {
    const finished = this.#db.isoNow();
    const revoked: RevokedLease[] = [];
    for (const id of taskIds) {
      const lease = endLease(this.#db, id, 'canceled', null);
      if (lease !== undefined) revoked.push({ task_id: id, ...lease });
      this.#db.run(
        "UPDATE tasks SET status = 'canceled', cause = ?, finished_at = ? WHERE task_id = ?",
        cause,
        finished,
        id,
      );
    }
    return revoked;
  }

  /**
   * Give tasks of one plan a fresh start: each waits for its unfinished dependencies (blocked) or is queued, with
   * a fresh retry budget, and their plan runs again. Returns the queued ones.
   */
  restart(planId: string, taskIds: readonly string[]): string[] {
    const pending =
      'SELECT count(*) FROM deps d JOIN tasks t ON t.task_id = d.needs_task_id WHERE d.task_id = ? AND t.status != ' +
      "'completed'";
    const update = `UPDATE tasks SET status = ?, pending_deps = ?, retry_count = 0, cause = NULL, finished_at = NULL,
        queued_at = ?, next_attempt_at = NULL WHERE task_id = ?`;
    // All get 'blocked' first so that the pending count of each one sees the others as not complete.
    for (const id of taskIds) this.#db.run("UPDATE tasks SET status = 'blocked' WHERE task_id = ?", id);
    const requeued: string[] = [];
    const now = this.#db.now();
    for (const id of taskIds) {
      const count = this.#db.value<number>(pending, id) ?? 0;
      if (count === 0) requeued.push(id);
      this.#db.run(update, count === 0 ? 'queued' : 'blocked', count, count === 0 ? now : null, id);
    }
    this.#db.run("UPDATE plans SET state = 'running', finished_at = NULL WHERE plan_id = ?", planId);
    return requeued;
  }

  #complete(row: TaskRow, output: string | null): FinishEffect {
    const now = this.#db.now();
    const sql = "UPDATE tasks SET status = 'completed', cause = NULL, output = ?, finished_at = ? WHERE task_id = ?";
    this.#db.run(sql, output, this.#db.isoNow(), row.task_id);
    const released: string[] = [];
    const decrement =
      "UPDATE tasks SET pending_deps = pending_deps - 1 WHERE task_id = ? AND status = 'blocked' RETURNING " +
      'pending_deps';
    for (const id of dependentsOf(this.#db, row.task_id)) {
      if (this.#db.value<number>(decrement, id) === 0) {
        this.#db.run("UPDATE tasks SET status = 'queued', queued_at = ? WHERE task_id = ?", now, id);
        released.push(id);
      }
    }
    const plan = settlePlan(this.#db, row.plan_id);
    return plan === undefined ? { kind: 'completed', released } : { kind: 'completed', released, plan };
  }

  #failOrRetry(row: TaskRow, cause: string): FinishEffect {
    const retries = row.retry_count + 1;
    if (retries > row.max_retries) {
      this.#db.run('UPDATE tasks SET retry_count = ? WHERE task_id = ?', retries, row.task_id);
      return this.#fail(row, `${cause} (after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'})`);
    }
    const delay = backoffDelay(this.#backoff, retries, () => this.#store.random());
    const at = this.#db.now() + delay;
    const sql =
      "UPDATE tasks SET status = 'retry_wait', retry_count = ?, cause = ?, next_attempt_at = ? WHERE task_id = ?";
    this.#db.run(sql, retries, cause, at, row.task_id);
    return { kind: 'retry', delay_ms: delay, next_attempt_at: at, requeued: false };
  }

  #fail(row: TaskRow, cause: string): FinishEffect {
    this.#db.run(
      "UPDATE tasks SET status = 'failed', cause = ?, finished_at = ? WHERE task_id = ?",
      cause,
      this.#db.isoNow(),
      row.task_id,
    );
    const cascaded = this.cascade(row.task_id, 'failed', `upstream_failed: ${row.name}`);
    const plan = settlePlan(this.#db, row.plan_id);
    return plan === undefined ? { kind: 'failed', cause, cascaded } : { kind: 'failed', cause, cascaded, plan };
  }

  /** Mark every live transitive dependent of `taskId` with `status` and `cause`. Returns their ids. */
  cascade(taskId: string, status: 'failed' | 'canceled', cause: string): string[] {
    const mark =
      `UPDATE tasks SET status = ?, cause = ?, finished_at = ? WHERE task_id = ? AND status IN ` + `${LIVE_STATUSES}`;
    const finished = this.#db.isoNow();
    const out: string[] = [];
    const seen = new Set<string>([taskId]);
    const stack = [taskId];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      for (const dependent of dependentsOf(this.#db, id)) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        if (this.#db.run(mark, status, cause, finished, dependent).changes === 1) out.push(dependent);
        stack.push(dependent);
      }
    }
    return out;
  }

  /** If no task of the plan is live any more, settle the plan's state and say so. */
  planFinished(planId: string): PlanFinished | undefined {
    return settlePlan(this.#db, planId);
  }
}
