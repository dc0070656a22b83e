import type { AttemptResult, JudgementFix, JudgementNote } from '@rigmind/protocol';
import { backoffDelay } from './backoff.js';
import type { TaskRow } from './rows.js';
import { announce, type Said } from './task-events.js';
import { fail, failOrRetry, TASK, type FinishEffect, type Machine } from './task-outcomes.js';

/** What the state machine does with a judged task: the model's choice once the rules passed it, or their default. */
export type Verdict =
  | { readonly kind: 'retry' }
  | { readonly kind: 'fix'; readonly fix: JudgementFix; readonly note: string }
  | { readonly kind: 'give_up'; readonly reason: string }
  /** The task waits, judging, for the escalation path to take it (or to apply the default if it does not). */
  | { readonly kind: 'escalate' }
  | { readonly kind: 'default' };

/** What a judged task's transition did: a finish, or nothing yet (an escalation is the escalator's to make). */
export type JudgedEffect = FinishEffect | { readonly kind: 'waiting' };

const PREFIX = 'judging: ';
// The attempt that failed is still the task's last, and nothing (a person's cancel or retry) moved it since.
const JUDGING = `SELECT * FROM tasks WHERE task_id = ? AND attempts = ? AND status = 'retry_wait'
  AND next_attempt_at IS NULL AND cause LIKE 'judging: %'`;
const FIXABLE = ['timeout_s', 'estimate_s', 'model', 'task_class', 'prompt', 'command'] as const;

/** A failure the rules cannot classify: the task's own program failed, without a code, a signal or a context limit. */
export function unclassified(result: AttemptResult): boolean {
  return (
    (result.outcome === 'failed' || result.outcome === 'error') &&
    result.failure_code === undefined &&
    result.context_exceeded === undefined &&
    result.signal === null
  );
}

/** Judgements of this task so far. */
export function judgementsOf(row: TaskRow): number {
  if (row.judgement === null) return 0;
  return (JSON.parse(row.judgement) as Pick<JudgementNote, 'count'>).count;
}

/**
 * The task waits, out of the queue and off the retry timers, for the brain's model to judge its failure:
 * `retry_wait` with no time set and a `judging:` cause, announced `task_judging` with what the worker reported.
 */
export function beginJudging(m: Machine, row: TaskRow, failure: string, error: string, reported: Said): FinishEffect {
  m.db.run(
    "UPDATE tasks SET status = 'retry_wait', cause = ?, next_attempt_at = NULL WHERE task_id = ?",
    `${PREFIX}${failure}`,
    row.task_id,
  );
  announce(m.events, 'task_judging', row, { ...reported, cause: failure });
  return { kind: 'judging', attempt: row.attempts, cause: failure, error };
}

/** The judged task, if it still waits for this attempt's judgement. */
export function judgingTask(m: Machine, taskId: string, attempt: number): TaskRow | undefined {
  return m.db.get<TaskRow>(JUDGING, taskId, attempt);
}

/**
 * Record a judgement on the task and announce it (`task_judged`, carrying the reasoning), then carry out `verdict`:
 * a retry after the backoff (the model may grant one past max_retries; judge.max_per_task bounds it), a fix
 * (recorded as fix_applied, the task queued again at once), a give-up (failed with the reason), an escalation
 * (left for the escalator), or the rules' default (retry or fail as the task's retries say). `stale` if the task no
 * longer waits for this judgement.
 */
export function judged(
  m: Machine,
  taskId: string,
  attempt: number,
  note: JudgementNote,
  verdict: Verdict,
): JudgedEffect {
  const row = judgingTask(m, taskId, attempt);
  if (row === undefined) return { kind: 'stale' };
  m.db.run('UPDATE tasks SET judgement = ? WHERE task_id = ?', JSON.stringify(note), taskId);
  const sensitive = row.sensitive === 1;
  const detail = sensitive
    ? { ...note, reasoning: note.reasoning === null ? null : '[withheld: sensitive task]' }
    : note;
  announce(m.events, 'task_judged', row, { attempt, cause: `${note.decision ?? 'none'}: ${note.outcome}`, detail });
  return carryOut(m, row, verdict);
}

/** The rules' default for a task still judging (an escalation that was not taken). */
export function judgedDefault(m: Machine, taskId: string, attempt: number): JudgedEffect {
  const row = judgingTask(m, taskId, attempt);
  return row === undefined ? { kind: 'stale' } : carryOut(m, row, { kind: 'default' });
}

function carryOut(m: Machine, row: TaskRow, verdict: Verdict): JudgedEffect {
  const cause = (row.cause ?? '').slice(PREFIX.length);
  const who: Said = { attempt: row.attempts };
  switch (verdict.kind) {
    case 'default':
      return failOrRetry(m, row, cause, who, who);
    case 'retry': {
      const retries = row.retry_count + 1;
      const delay = backoffDelay(m.backoff, retries, m.random);
      const at = m.db.now() + delay;
      const sql =
        "UPDATE tasks SET status = 'retry_wait', retry_count = ?, cause = ?, next_attempt_at = ? WHERE task_id = ?";
      m.db.run(sql, retries, cause, at, row.task_id);
      announce(m.events, 'task_retry_scheduled', row, { ...who, cause: `${cause}; the brain's model chose a retry` });
      return { kind: 'retry', delay_ms: delay, next_attempt_at: at, requeued: false };
    }
    case 'fix':
      return applyFix(m, row, verdict.fix, verdict.note);
    case 'give_up': {
      // The model's reason may quote a sensitive task's error: its cause (stored, announced, logged) does not.
      const reason = row.sensitive === 1 ? '[withheld: sensitive task]' : verdict.reason;
      return fail(m, row, `given up by the brain's model: ${reason}`, who);
    }
    case 'escalate':
      return { kind: 'waiting' };
  }
}

// The changed fields only (bounded by protocol's boundFix before this), the note kept as the seed keeps a class fix.
function applyFix(m: Machine, row: TaskRow, fix: JudgementFix, note: string): FinishEffect {
  const fields = FIXABLE.filter((field) => fix[field] !== undefined);
  const sets = fields.map((field) => `${field} = ?`).join(', ');
  const now = m.db.now();
  const cause = `fixed by the brain's model: ${note}`;
  m.db.run(
    `UPDATE tasks SET ${sets}, fix_applied = ?, status = 'queued', cause = ?, queued_at = ?, next_attempt_at = NULL
      WHERE task_id = ?`,
    ...fields.map((field) => fix[field] ?? null),
    note,
    cause,
    now,
    row.task_id,
  );
  const fixed = m.db.get<TaskRow>(TASK, row.task_id) ?? row;
  announce(m.events, 'task_requeued', fixed, { attempt: row.attempts, cause, detail: { fix_applied: note } });
  return { kind: 'retry', delay_ms: 0, next_attempt_at: now, requeued: true };
}
