import type { AttemptResult, PlanState } from '@rigmind/protocol';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';

const LIVE = "('blocked','queued','leased','running','retry_wait','waiting_external')";

/** A plan that has just reached a terminal state. */
export interface PlanFinished {
  readonly plan_id: string;
  readonly state: Exclude<PlanState, 'running'>;
}

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

/**
 * The task state machine's transitions, each one SQLite transaction. The in-memory queue follows what these return.
 */
export class Transitions {
  constructor(
    private readonly store: Store,
    private readonly backoff: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  private get db() {
    return this.store.db;
  }

  /** Lease a queued task to a worker: a new attempt. Returns the attempt number, or undefined if it is no longer queued. */
  lease(taskId: string, workerId: string): { attempt: number; row: TaskRow } | undefined {
    return this.db.transaction(() => {
      const row = this.store.task(taskId);
      if (row === undefined || row.status !== 'queued') return undefined;
      const attempt = row.attempts + 1;
      this.store.stmt("UPDATE tasks SET status = 'leased', attempts = ? WHERE task_id = ?").run(attempt, taskId);
      this.store
        .stmt('INSERT INTO attempts (task_id, attempt, worker_id, started_at) VALUES (?, ?, ?, ?)')
        .run(taskId, attempt, workerId, this.store.isoNow());
      this.store.stmt('INSERT OR REPLACE INTO leases (task_id, attempt, worker_id, leased_at) VALUES (?, ?, ?, ?)').run(taskId, attempt, workerId, this.store.now());
      return { attempt, row: { ...row, status: 'leased' as const, attempts: attempt } };
    })();
  }

  /**
   * The worker reports the attempt started: a leased task whose live lease it is becomes running. Returns the
   * task's plan and name if it did (one statement: it runs for every task, on the result path for short ones).
   */
  markRunning(taskId: string, attempt: number, workerId: string): { plan_id: string; name: string } | undefined {
    return this.store
      .stmt(
        `UPDATE tasks SET status = 'running' WHERE task_id = ? AND status = 'leased'
           AND EXISTS (SELECT 1 FROM leases WHERE task_id = ? AND attempt = ? AND worker_id = ?)
         RETURNING plan_id, name`,
      )
      .get(taskId, taskId, attempt, workerId) as { plan_id: string; name: string } | undefined;
  }

  /**
   * Record an attempt's result and move the task on: complete and release dependents, back off and retry, or fail.
   * Only the worker holding the attempt's lease may finish it (`stale` otherwise). A prompt too long for the
   * model is no failure of the task: it ends `too_long`, out of the queue, for the caller to place elsewhere.
   */
  finish(taskId: string, attempt: number, result: AttemptResult, workerId: string): FinishEffect {
    return this.db.transaction((): FinishEffect => {
      // Deleting the lease is the check that it is this attempt's and this worker's: one statement, not two.
      const deleted = this.store
        .stmt('DELETE FROM leases WHERE task_id = ? AND attempt = ? AND worker_id = ?')
        .run(taskId, attempt, workerId);
      if (deleted.changes === 0) return { kind: 'stale' };
      this.store
        .stmt(
          `UPDATE attempts SET ended_at = ?, outcome = ?, return_code = ?, signal = ?, elapsed_seconds = ?, output_lines = ?,
             error_snippet = ?, stdout_path = ?, stderr_path = ?, tokens_generated = ?, tokens_per_second = ?, simulated = ?, worker_id = ?
           WHERE task_id = ? AND attempt = ?`,
        )
        .run(
          this.store.isoNow(),
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
      const row = this.store.task(taskId) as TaskRow;
      if (result.outcome === 'completed') return this.complete(row, result.output ?? null);
      if (result.outcome === 'canceled') return { kind: 'failed', cause: 'canceled', cascaded: [] };
      if (result.context_exceeded !== undefined) {
        this.store.stmt("UPDATE tasks SET status = 'retry_wait', next_attempt_at = NULL WHERE task_id = ?").run(taskId);
        return { kind: 'too_long' };
      }
      const cause = describeFailure(result);
      return this.failOrRetry(row, cause);
    })();
  }

  /**
   * The worker holding this lease died or came back without it. That is not a failed attempt: the task goes back
   * to the queue at once without using a retry. Lost leases are counted on their own, and past `limit` the task
   * fails, so that a task that kills its worker every time does not go round forever.
   */
  loseLease(taskId: string, reason: string, limit: number): FinishEffect {
    return this.db.transaction((): FinishEffect => {
      const lease = this.store.stmt('SELECT attempt FROM leases WHERE task_id = ?').get(taskId) as { attempt: number } | undefined;
      if (lease === undefined) return { kind: 'stale' };
      this.store.stmt('DELETE FROM leases WHERE task_id = ?').run(taskId);
      this.store
        .stmt("UPDATE attempts SET ended_at = ?, outcome = 'error', error_snippet = ? WHERE task_id = ? AND attempt = ?")
        .run(this.store.isoNow(), reason, taskId, lease.attempt);
      this.store.stmt('UPDATE tasks SET lost_leases = lost_leases + 1 WHERE task_id = ?').run(taskId);
      const row = this.store.task(taskId) as TaskRow;
      if (row.lost_leases > limit) {
        return this.fail(row, `${reason} (lost its worker ${row.lost_leases} times; max_lost_leases is ${limit})`);
      }
      const now = this.store.now();
      this.store
        .stmt("UPDATE tasks SET status = 'queued', cause = ?, queued_at = ?, next_attempt_at = NULL WHERE task_id = ?")
        .run(reason, now, taskId);
      return { kind: 'retry', delay_ms: 0, next_attempt_at: now, requeued: true };
    })();
  }

  /**
   * The scheduler stops a running attempt for urgent work: the attempt ends `canceled` (preempted), the task goes
   * back to the queue keeping its place in line (queued_at) and its retries, and the preemption is counted.
   */
  preempt(taskId: string, reason: string): { attempt: number; worker_id: string } | undefined {
    return this.db.transaction(() => {
      const lease = this.store.stmt('SELECT attempt, worker_id FROM leases WHERE task_id = ?').get(taskId) as { attempt: number; worker_id: string } | undefined;
      if (lease === undefined) return undefined;
      this.store.stmt('DELETE FROM leases WHERE task_id = ?').run(taskId);
      this.store
        .stmt("UPDATE attempts SET ended_at = ?, outcome = 'canceled', error_snippet = ? WHERE task_id = ? AND attempt = ?")
        .run(this.store.isoNow(), reason, taskId, lease.attempt);
      this.store
        .stmt("UPDATE tasks SET status = 'queued', preemptions = preemptions + 1, cause = ?, queued_at = coalesce(queued_at, ?) WHERE task_id = ?")
        .run(reason, this.store.now(), taskId);
      return lease;
    })();
  }

  /** Cancel a resource task that will not run (it was planned for cards as they were). */
  cancelResource(taskId: string, cause: string): void {
    this.store
      .stmt("UPDATE tasks SET status = 'canceled', cause = ?, finished_at = ? WHERE task_id = ? AND task_class = 'resource' AND status IN ('queued','retry_wait')")
      .run(cause, this.store.isoNow(), taskId);
  }

  /** A retry_wait task whose backoff is over goes back to the queue. */
  requeue(taskId: string): boolean {
    const info = this.db
      .prepare("UPDATE tasks SET status = 'queued', queued_at = ?, next_attempt_at = NULL WHERE task_id = ? AND status = 'retry_wait'")
      .run(this.store.now(), taskId);
    return info.changes === 1;
  }

  /** Complete a task without a worker (advice answered it); same cascade as a worker's completion. */
  completeDirectly(taskId: string, output: string, source: string): FinishEffect {
    return this.db.transaction((): FinishEffect => {
      const row = this.store.task(taskId);
      if (row === undefined || isTerminal(row.status)) return { kind: 'stale' };
      this.store.stmt('UPDATE tasks SET source = ? WHERE task_id = ?').run(source, taskId);
      return this.complete(row, output);
    })();
  }

  /** Fail a task now with a cause (a definition error, a decline), cascading to its dependents. */
  failDirectly(taskId: string, cause: string): FinishEffect {
    return this.db.transaction((): FinishEffect => {
      const row = this.store.task(taskId);
      if (row === undefined || isTerminal(row.status)) return { kind: 'stale' };
      this.store.stmt('DELETE FROM leases WHERE task_id = ?').run(taskId);
      return this.fail(row, cause);
    })();
  }

  /** Move a task to another live state (waiting_external and back). */
  setStatus(taskId: string, status: 'waiting_external' | 'queued', cause: string | null): void {
    this.db
      .prepare(`UPDATE tasks SET status = ?, cause = ?, queued_at = CASE WHEN ? = 'queued' THEN ? ELSE queued_at END WHERE task_id = ?`)
      .run(status, cause, status, this.store.now(), taskId);
  }

  private complete(row: TaskRow, output: string | null): FinishEffect {
    const now = this.store.now();
    this.store
      .stmt("UPDATE tasks SET status = 'completed', cause = NULL, output = ?, finished_at = ? WHERE task_id = ?")
      .run(output, this.store.isoNow(), row.task_id);
    const dependents = this.store.stmt('SELECT task_id FROM deps WHERE needs_task_id = ?').pluck(true).all(row.task_id) as string[];
    const released: string[] = [];
    const decrement = this.store.stmt('UPDATE tasks SET pending_deps = pending_deps - 1 WHERE task_id = ? AND status = ? RETURNING pending_deps');
    const release = this.store.stmt("UPDATE tasks SET status = 'queued', queued_at = ? WHERE task_id = ?");
    for (const id of dependents) {
      const left = decrement.pluck(true).get(id, 'blocked') as number | undefined;
      if (left === 0) {
        release.run(now, id);
        released.push(id);
      }
    }
    const plan = this.planFinished(row.plan_id);
    return plan === undefined ? { kind: 'completed', released } : { kind: 'completed', released, plan };
  }

  private failOrRetry(row: TaskRow, cause: string): FinishEffect {
    const retries = row.retry_count + 1;
    if (retries > row.max_retries) {
      this.store.stmt('UPDATE tasks SET retry_count = ? WHERE task_id = ?').run(retries, row.task_id);
      return this.fail(row, `${cause} (after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'})`);
    }
    const delay = backoffDelay(this.backoff, retries, this.random);
    const at = this.store.now() + delay;
    this.store
      .stmt("UPDATE tasks SET status = 'retry_wait', retry_count = ?, cause = ?, next_attempt_at = ? WHERE task_id = ?")
      .run(retries, cause, at, row.task_id);
    return { kind: 'retry', delay_ms: delay, next_attempt_at: at, requeued: false };
  }

  private fail(row: TaskRow, cause: string): FinishEffect {
    const finished = this.store.isoNow();
    this.store.stmt("UPDATE tasks SET status = 'failed', cause = ?, finished_at = ? WHERE task_id = ?").run(cause, finished, row.task_id);
    const cascaded = this.cascade(row.task_id, 'failed', `upstream_failed: ${row.name}`);
    const plan = this.planFinished(row.plan_id);
    return plan === undefined ? { kind: 'failed', cause, cascaded } : { kind: 'failed', cause, cascaded, plan };
  }

  /** Mark every live transitive dependent of `taskId` with `status` and `cause`. Returns their ids. */
  cascade(taskId: string, status: 'failed' | 'canceled', cause: string): string[] {
    const next = this.store.stmt('SELECT task_id FROM deps WHERE needs_task_id = ?').pluck();
    const mark = this.store.stmt(`UPDATE tasks SET status = ?, cause = ?, finished_at = ? WHERE task_id = ? AND status IN ${LIVE}`);
    const finished = this.store.isoNow();
    const out: string[] = [];
    const seen = new Set<string>([taskId]);
    const stack = [taskId];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      for (const dependent of next.all(id) as string[]) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        if (mark.run(status, cause, finished, dependent).changes === 1) out.push(dependent);
        stack.push(dependent);
      }
    }
    return out;
  }

  /** If no task of the plan is live any more, settle the plan's state and say so. */
  planFinished(planId: string): PlanFinished | undefined {
    const live = this.store.stmt(`SELECT 1 FROM tasks WHERE plan_id = ? AND status IN ${LIVE} LIMIT 1`).get(planId);
    if (live !== undefined) return undefined;
    const plan = this.store.plan(planId);
    if (plan === undefined || plan.state !== 'running') return undefined;
    // The brain's own resource tasks (model loads) do not decide whether the plan's work succeeded.
    const counts = this.store.stmt("SELECT status, count(*) AS n FROM tasks WHERE plan_id = ? AND task_class != 'resource' GROUP BY status").all(planId) as { status: string; n: number }[];
    const has = (status: string) => counts.some((count) => count.status === status && count.n > 0);
    const state = has('failed') ? 'failed' : has('canceled') ? 'canceled' : 'completed';
    this.store.stmt('UPDATE plans SET state = ?, finished_at = ? WHERE plan_id = ?').run(state, this.store.isoNow(), planId);
    return { plan_id: planId, state };
  }
}

/** Whether a status is terminal. */
export function isTerminal(status: string): boolean {
  return status === 'completed' || status === 'failed' || status === 'canceled';
}

function describeFailure(result: AttemptResult): string {
  if (result.outcome === 'timeout') return `timeout after ${result.elapsed_seconds.toFixed(1)}s`;
  if (result.outcome === 'error') return `error: ${result.error_snippet.slice(-200)}`;
  if (result.signal !== null) return `killed by ${result.signal}`;
  return `exit code ${String(result.return_code)}`;
}
