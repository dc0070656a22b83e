import { dependentsOf, LIVE_STATUSES, settlePlan, type PlanFinished } from './attempt-log.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { connectionOf, type Connection } from './connection.js';
import type { TaskRow } from './rows.js';
import type { Store } from './store.js';
import { Announcer, announce, type Named, type Said, type TaskEvents } from './task-events.js';

/** What finishing an attempt did. */
export type FinishEffect =
  | { readonly kind: 'stale' }
  /** `released`: the dependents it made ready (blocked, nothing pending), for `release` to queue one by one. */
  | { readonly kind: 'completed'; readonly released: string[]; readonly plan?: PlanFinished }
  /**
   * `requeued`: the task is back in the queue now (a lost lease: not a failure). Otherwise it failed and waits in
   * `retry_wait` until `next_attempt_at`, even when full jitter drew 0 ms, so every retry after a failure is a
   * scheduled one.
   */
  | { readonly kind: 'retry'; readonly delay_ms: number; readonly next_attempt_at: number; readonly requeued: boolean }
  /** The prompt does not fit the worker's model: no failure counted; the task waits, out of the queue, to be placed. */
  | { readonly kind: 'too_long' }
  /** A failure the rules cannot classify: the task waits (retry_wait, no time set) for the brain's model to judge. */
  | { readonly kind: 'judging'; readonly attempt: number; readonly cause: string; readonly error: string }
  | { readonly kind: 'failed'; readonly cause: string; readonly cascaded: string[]; readonly plan?: PlanFinished };

/** What the state machine's transitions share: the connection, where they announce, jitter and the backoff. */
export interface Machine {
  readonly db: Connection;
  readonly events: TaskEvents;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  /** Run `work` as one transaction (a savepoint in the caller's), announcing what it did once it is released. */
  transaction<T>(work: () => T): T;
}

/** A store's state machine, announcing through `events` (held while one of its savepoints is open). */
export function machineOf(store: Store, backoff: BackoffPolicy, events: TaskEvents): Machine {
  const db = connectionOf(store);
  const announcer = new Announcer(events);
  const transaction = <T>(work: () => T): T => announcer.transaction(db, work);
  return { db, events: announcer, random: () => store.random(), backoff, transaction };
}

const COMPLETE = "UPDATE tasks SET status = 'completed', cause = NULL, output = ?, finished_at = ? WHERE task_id = ?";
// SET reads the row as it was: a dependent whose last pending dependency this was is stamped ready now.
const DECREMENT = `UPDATE tasks SET pending_deps = pending_deps - 1,
    queued_at = CASE WHEN pending_deps = 1 THEN ? ELSE queued_at END
  WHERE task_id = ? AND status = 'blocked' RETURNING pending_deps`;
const FAIL = "UPDATE tasks SET status = 'failed', cause = ?, finished_at = ? WHERE task_id = ?";
const RETRY_WAIT =
  "UPDATE tasks SET status = 'retry_wait', retry_count = ?, cause = ?, next_attempt_at = ? WHERE task_id = ?";
const MARK = `UPDATE tasks SET status = ?, cause = ?, finished_at = ? WHERE task_id = ? AND status IN ${LIVE_STATUSES}`;
/**
 * A task as its announcements name it. Read after the write, not with `UPDATE ... RETURNING`: on the tasks table that
 * took 2.5 times an UPDATE and this SELECT (cancelling a 100,000-task plan: 3.1 s against 1.2 s).
 */
export const NAMED = 'SELECT plan_id, task_id, name FROM tasks WHERE task_id = ?';
/** A whole task row, read after a write for the same reason. */
export const TASK = 'SELECT * FROM tasks WHERE task_id = ?';

/**
 * Complete a task, announce it with `said`, and make ready the dependents it was the last dependency of. They stay
 * blocked, with nothing pending, stamped with the time they became ready: the brain releases them one at a time
 * (`release`), so each one's announcement comes before what queuing it leads to, and the next one's after.
 */
export function complete(m: Machine, row: TaskRow, output: string | null, said: Said): FinishEffect {
  const now = m.db.now();
  m.db.run(COMPLETE, output, m.db.isoNow(), row.task_id);
  announce(m.events, 'task_completed', row, said);
  const released: string[] = [];
  for (const id of dependentsOf(m.db, row.task_id)) if (m.db.value<number>(DECREMENT, now, id) === 0) released.push(id);
  const plan = settlePlan(m.db, row.plan_id);
  return plan === undefined ? { kind: 'completed', released } : { kind: 'completed', released, plan };
}

/**
 * A failed attempt: back off and retry while the task has retries left (announced with who ran it), else fail it
 * (announced with what the worker `reported`).
 */
export function failOrRetry(m: Machine, row: TaskRow, cause: string, who: Said, reported: Said): FinishEffect {
  const retries = row.retry_count + 1;
  if (retries > row.max_retries) {
    m.db.run('UPDATE tasks SET retry_count = ? WHERE task_id = ?', retries, row.task_id);
    return fail(m, row, `${cause} (after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'})`, reported);
  }
  const delay = backoffDelay(m.backoff, retries, m.random);
  const at = m.db.now() + delay;
  m.db.run(RETRY_WAIT, retries, cause, at, row.task_id);
  announce(m.events, 'task_retry_scheduled', row, { ...who, cause, duration_ms: delay });
  return { kind: 'retry', delay_ms: delay, next_attempt_at: at, requeued: false };
}

/** Fail a task with `cause` (announced with `said`), then its live dependents, each announced too. */
export function fail(m: Machine, row: TaskRow, cause: string, said: Said): FinishEffect {
  m.db.run(FAIL, cause, m.db.isoNow(), row.task_id);
  announce(m.events, 'task_failed', row, { ...said, cause });
  const cascaded = cascade(m, row.task_id, 'failed', `upstream_failed: ${row.name}`);
  const plan = settlePlan(m.db, row.plan_id);
  return plan === undefined ? { kind: 'failed', cause, cascaded } : { kind: 'failed', cause, cascaded, plan };
}

/** Mark every live transitive dependent of `taskId` with `status` and `cause`, announcing each. Returns their ids. */
export function cascade(m: Machine, taskId: string, status: 'failed' | 'canceled', cause: string): string[] {
  const type = status === 'failed' ? 'task_failed' : 'task_canceled';
  const finished = m.db.isoNow();
  const out: string[] = [];
  const seen = new Set<string>([taskId]);
  const stack = [taskId];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const dependent of dependentsOf(m.db, id)) {
      if (seen.has(dependent)) continue;
      seen.add(dependent);
      const marked = m.db.run(MARK, status, cause, finished, dependent).changes === 1;
      const named = marked ? m.db.get<Named>(NAMED, dependent) : undefined;
      if (named !== undefined) {
        out.push(dependent);
        announce(m.events, type, named, { cause });
      }
      stack.push(dependent);
    }
  }
  return out;
}
