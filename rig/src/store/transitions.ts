import type { AttemptResult, JudgementNote } from '@rigmind/protocol';
import {
  describeFailure,
  endLease,
  isTerminal,
  openAttempt,
  recordResult,
  settlePlan,
  type PlanFinished,
} from './attempt-log.js';
import type { BackoffPolicy } from './backoff.js';
import * as judge from './judge-transitions.js';
import * as operator from './operator-transitions.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';
import { announce, type Named, type Said, type TaskEvents } from './task-events.js';
import {
  cascade,
  complete,
  fail,
  failOrRetry,
  machineOf,
  TASK,
  type FinishEffect,
  type Machine,
} from './task-outcomes.js';

export { isReady, isTerminal, type PlanFinished } from './attempt-log.js';
export type { RevokedLease } from './operator-transitions.js';
export type { FinishEffect } from './task-outcomes.js';
export type { JudgedEffect, Verdict } from './judge-transitions.js';

/** What a sensitive task's failure events say instead of its error text (the attempt's stderr file keeps it). */
export const SENSITIVE_ERROR = '[withheld: sensitive task; its error is in the attempt stderr file]';
const RUNNING = `UPDATE tasks SET status = 'running' WHERE task_id = ? AND status = 'leased'
    AND EXISTS (SELECT 1 FROM leases WHERE task_id = ? AND attempt = ? AND worker_id = ?)
  RETURNING plan_id, name`;
const REQUEUE = `UPDATE tasks SET status = 'queued', queued_at = ?, next_attempt_at = NULL
  WHERE task_id = ? AND status = 'retry_wait'`;
const PREEMPT = `UPDATE tasks SET status = 'queued', preemptions = preemptions + 1, cause = ?,
    queued_at = coalesce(queued_at, ?) WHERE task_id = ?`;

/** Whether a failure may go to the brain's model: how many judgements a task may have. */
export interface Judging {
  readonly maxPerTask: number;
}

/** How a dispatch is announced: since when the task waited (the ready queue's view) and what the dispatch is for. */
export interface DispatchNote {
  readonly queued_at?: number | undefined;
  readonly detail?: Record<string, unknown> | undefined;
}

/**
 * The task state machine: its transitions, each one SQLite transaction, are the only writers of a task's status
 * (test/rig/store/one-door.test.ts checks), and each announces its change through the injected {@link TaskEvents}
 * in that transaction: a status and its event cannot part. The in-memory queue follows what they return.
 */
export class Transitions {
  readonly #m: Machine;

  /** Jitter draws from the store's runtime: one injected source for the clock and randomness of a state database. */
  constructor(store: Store, backoff: BackoffPolicy, events: TaskEvents) {
    this.#m = machineOf(store, backoff, events);
  }

  /**
   * Run several transitions as one: a transaction of their own, or a savepoint in the caller's, announcing what they
   * did once it is released (an operator's cancel or retry).
   */
  atomically<T>(work: () => T): T {
    return this.#m.transaction(work);
  }

  #task(taskId: string): TaskRow | undefined {
    return this.#m.db.get<TaskRow>(TASK, taskId);
  }

  /**
   * Lease a queued task to a worker: a new attempt, announced dispatched. Returns the attempt number, or undefined
   * if it is no longer queued.
   */
  lease(taskId: string, workerId: string, note: DispatchNote = {}): { attempt: number; row: TaskRow } | undefined {
    const { db, events } = this.#m;
    return this.#m.transaction(() => {
      const row = this.#task(taskId);
      if (row === undefined || row.status !== 'queued') return undefined;
      const attempt = row.attempts + 1;
      db.run("UPDATE tasks SET status = 'leased', attempts = ? WHERE task_id = ?", attempt, taskId);
      openAttempt(db, taskId, attempt, workerId);
      const now = db.now();
      const waited = Math.max(0, now - (note.queued_at ?? row.queued_at ?? now));
      announce(events, 'task_dispatched', row, {
        worker_id: workerId,
        attempt,
        duration_ms: waited,
        detail: note.detail,
      });
      return { attempt, row: { ...row, status: 'leased' as const, attempts: attempt } };
    });
  }

  /**
   * The worker reports the attempt started: a leased task whose live lease it is becomes running, announced with
   * `detail`. Returns the task's plan and name if it did (one statement: it runs for every task, on the result path
   * for short ones).
   */
  markRunning(
    taskId: string,
    attempt: number,
    workerId: string,
    detail: Record<string, unknown>,
  ): { plan_id: string; name: string } | undefined {
    const row = this.#m.db.get<{ plan_id: string; name: string }>(RUNNING, taskId, taskId, attempt, workerId);
    if (row !== undefined) {
      const task = { plan_id: row.plan_id, task_id: taskId, name: row.name };
      announce(this.#m.events, 'task_started', task, { worker_id: workerId, attempt, detail });
    }
    return row;
  }

  /**
   * Record an attempt's result and move the task on: complete and ready dependents, back off and retry, or fail,
   * announced with what the worker reported. Only the worker holding the attempt's lease may finish it (`stale`
   * otherwise). A prompt too long for the model is no failure of the task: it ends `too_long`, out of the queue,
   * unannounced, for the caller to place elsewhere (and announce there).
   */
  finish(taskId: string, attempt: number, result: AttemptResult, workerId: string, judging?: Judging): FinishEffect {
    const { db, events } = this.#m;
    return this.#m.transaction((): FinishEffect => {
      // Deleting the lease is the check that it is this attempt's and this worker's: one statement, not two.
      const deleted = db.run(
        'DELETE FROM leases WHERE task_id = ? AND attempt = ? AND worker_id = ?',
        taskId,
        attempt,
        workerId,
      );
      if (deleted.changes === 0) return { kind: 'stale' };
      recordResult(db, taskId, attempt, result, workerId);
      const row = this.#task(taskId);
      if (row === undefined) return { kind: 'stale' };
      const reported: Said = {
        worker_id: workerId,
        attempt,
        elapsed_seconds: result.elapsed_seconds,
        duration_ms: Math.round(result.elapsed_seconds * 1000),
        return_code: result.return_code,
        tokens_generated: result.tokens_generated,
      };
      if (result.outcome === 'completed') {
        const detail = {
          output_lines: result.output_lines,
          simulated: result.simulated === true,
          ...(result.tokens_per_second !== undefined ? { tokens_per_second: result.tokens_per_second } : {}),
        };
        return complete(this.#m, row, result.output ?? null, { ...reported, detail });
      }
      // A sensitive task's error text may quote its data: the event (stored, published, logged) does not carry it.
      const failed = { ...reported, error: row.sensitive === 1 ? SENSITIVE_ERROR : result.error_snippet };
      if (result.outcome === 'canceled') {
        // An attempt its worker aborted: announced failed, the task's status left where it is (as it always was).
        announce(events, 'task_failed', row, { ...failed, cause: 'canceled' });
        return { kind: 'failed', cause: 'canceled', cascaded: [] };
      }
      // The task's own files failed it: no retry reads a missing file, and no model is to blame (nor escalated).
      if (result.failure_code !== undefined)
        return fail(this.#m, row, `${result.failure_code}: ${result.error_snippet}`, failed);
      if (result.context_exceeded !== undefined) {
        db.run("UPDATE tasks SET status = 'retry_wait', next_attempt_at = NULL WHERE task_id = ?", taskId);
        return { kind: 'too_long' };
      }
      // A failure no rule classifies goes to the brain's model, while the task has judgements left.
      if (judging !== undefined && judge.unclassified(result) && judge.judgementsOf(row) < judging.maxPerTask)
        return judge.beginJudging(this.#m, row, describeFailure(result), result.error_snippet, failed);
      return failOrRetry(this.#m, row, describeFailure(result), { worker_id: workerId, attempt }, failed);
    });
  }

  /** Record the brain's model's judgement of a judging task and carry out `verdict` (see judge-transitions.ts). */
  judged(taskId: string, attempt: number, note: JudgementNote, verdict: judge.Verdict): judge.JudgedEffect {
    return this.#m.transaction(() => judge.judged(this.#m, taskId, attempt, note, verdict));
  }

  /** The rules' default for a task still judging (its escalation was not taken). */
  judgedDefault(taskId: string, attempt: number): judge.JudgedEffect {
    return this.#m.transaction(() => judge.judgedDefault(this.#m, taskId, attempt));
  }

  /**
   * The worker holding this lease died or came back without it. That is not a failed attempt: the task goes back
   * to the queue at once without using a retry (announced requeued). Lost leases are counted on their own, and
   * past `limit` the task fails, so that a task that kills its worker every time does not go round forever.
   */
  loseLease(taskId: string, reason: string, limit: number): FinishEffect {
    const { db } = this.#m;
    return this.#m.transaction((): FinishEffect => {
      const lease = endLease(db, taskId, 'error', reason);
      if (lease === undefined) return { kind: 'stale' };
      db.run('UPDATE tasks SET lost_leases = lost_leases + 1 WHERE task_id = ?', taskId);
      const row = this.#task(taskId);
      if (row === undefined) return { kind: 'stale' };
      const who = { worker_id: lease.worker_id, attempt: lease.attempt };
      if (row.lost_leases > limit) {
        const cause = `${reason} (lost its worker ${row.lost_leases} times; max_lost_leases is ${limit})`;
        return fail(this.#m, row, cause, who);
      }
      const now = db.now();
      const sql =
        "UPDATE tasks SET status = 'queued', cause = ?, queued_at = ?, next_attempt_at = NULL WHERE task_id = ?";
      db.run(sql, reason, now, taskId);
      announce(this.#m.events, 'task_requeued', row, { ...who, cause: reason });
      return { kind: 'retry', delay_ms: 0, next_attempt_at: now, requeued: true };
    });
  }

  /**
   * The scheduler stops a running attempt for urgent work: the attempt ends `canceled` (preempted), the task goes
   * back to the queue keeping its place in line (queued_at) and its retries, and the preemption is counted and
   * announced. Returns the lease it ended and the task as queued now.
   */
  preempt(taskId: string, reason: string): { attempt: number; worker_id: string; row: TaskRow } | undefined {
    const { db } = this.#m;
    return this.#m.transaction(() => {
      const lease = endLease(db, taskId, 'canceled', reason);
      if (lease === undefined) return undefined;
      db.run(PREEMPT, reason, db.now(), taskId);
      const row = this.#task(taskId);
      if (row === undefined) return undefined;
      const said = { worker_id: lease.worker_id, attempt: lease.attempt, cause: reason };
      announce(this.#m.events, 'task_preempted', row, { ...said, detail: { preemptions: row.preemptions } });
      return { ...lease, row };
    });
  }

  /** A retry_wait task whose backoff is over goes back to the queue, announced. Returns it as queued now. */
  requeue(taskId: string): TaskRow | undefined {
    const row = this.#m.db.run(REQUEUE, this.#m.db.now(), taskId).changes === 1 ? this.#task(taskId) : undefined;
    if (row !== undefined) announce(this.#m.events, 'task_requeued', row, { cause: 'backoff over' });
    return row;
  }

  /**
   * A ready task (`isReady`: blocked, nothing pending) enters the queue, announced released. One at a time, by the
   * brain, so that what queuing one leads to is announced before the next is released. Returns it as queued now.
   */
  release(row: TaskRow): TaskRow | undefined {
    const sql = "UPDATE tasks SET status = 'queued' WHERE task_id = ? AND status = 'blocked' AND pending_deps = 0";
    if (this.#m.db.run(sql, row.task_id).changes === 0) return undefined;
    announce(this.#m.events, 'task_released', row);
    return { ...row, status: 'queued' };
  }

  /** Complete a task without a worker (advice answered it), announced for `cause`; same cascade as a worker's. */
  completeDirectly(taskId: string, output: string, source: string, cause: string): FinishEffect {
    const { db } = this.#m;
    return this.#m.transaction((): FinishEffect => {
      const row = this.#task(taskId);
      if (row === undefined || isTerminal(row.status)) return { kind: 'stale' };
      db.run('UPDATE tasks SET source = ? WHERE task_id = ?', source, taskId);
      return complete(this.#m, row, output, { cause });
    });
  }

  /** Fail a task now with a cause (a definition error, a decline), cascading to its dependents. */
  failDirectly(taskId: string, cause: string): FinishEffect {
    const { db } = this.#m;
    return this.#m.transaction((): FinishEffect => {
      const row = this.#task(taskId);
      if (row === undefined || isTerminal(row.status)) return { kind: 'stale' };
      db.run('DELETE FROM leases WHERE task_id = ?', taskId);
      return fail(this.#m, row, cause, {});
    });
  }

  /** A task waits for the external tier, its status saying `cause`; announced escalated for `why`. */
  waitExternal(task: Named, cause: string, why: string): void {
    operator.waitExternal(this.#m, task, cause, why);
  }

  /**
   * A task waiting for the external tier waits on, for a new reason (the gateway unreachable, a decline held for a
   * person): its status does not change, so there is nothing to announce.
   */
  waitOn(taskId: string, cause: string): void {
    this.#m.db.run("UPDATE tasks SET cause = ? WHERE task_id = ? AND status = 'waiting_external'", cause, taskId);
  }

  /** A prompt too long for its worker's model goes to the brain's model, queued at once. Returns it as queued now. */
  moveToBrain(taskId: string, cause: string): TaskRow | undefined {
    return operator.moveToBrain(this.#m, taskId, cause);
  }

  /** A task the external tier split waits (blocked) for its advised subtasks; call in the transaction adding them. */
  blockOnSubtasks(taskId: string, subtaskIds: readonly string[], dependsOn: readonly string[], cause: string): void {
    operator.blockOnSubtasks(this.#m, taskId, subtaskIds, dependsOn, cause);
  }

  /** Cancel a resource task that will not run (it was planned for cards as they were). */
  cancelResource(taskId: string, cause: string): void {
    operator.cancelResource(this.#m, taskId, cause);
  }

  /** Cancel live tasks by a person's word, announcing each: their leases are called back (returned). */
  cancel(taskIds: readonly string[], cause: string): operator.RevokedLease[] {
    return operator.cancelTasks(this.#m, taskIds, cause);
  }

  /**
   * Give tasks of one plan a fresh start (blocked on what they wait for, a fresh retry budget, their plan running
   * again), announced requeued for `cause` if given. Returns the ready ones, for `release`.
   */
  restart(planId: string, taskIds: readonly string[], cause?: string): string[] {
    return operator.restartTasks(this.#m, planId, taskIds, cause);
  }

  /** Mark every live transitive dependent of `taskId` with `status` and `cause`, announcing each. Returns their ids. */
  cascade(taskId: string, status: 'failed' | 'canceled', cause: string): string[] {
    return cascade(this.#m, taskId, status, cause);
  }

  /** If no task of the plan is live any more, settle the plan's state and say so. */
  planFinished(planId: string): PlanFinished | undefined {
    return settlePlan(this.#m.db, planId);
  }
}
