import {
  JudgementNoteSchema,
  MAX_STATUS_PAGE,
  type JudgementNote,
  type PlanStatus,
  type TaskStatusRow,
} from '@rigmind/protocol';
import type { PlanRow } from '../store/rows.js';
import type { TaskWithLastAttempt } from '../store/status-queries.js';
import type { Store } from '../store/store.js';

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
  const counts = store.status.planCounts(plan.plan_id);
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
    const limit = Math.min(page.limit ?? MAX_STATUS_PAGE, MAX_STATUS_PAGE);
    const rows = store.status.planPage(plan.plan_id, limit, page.offset ?? 0);
    status.tasks = rows.map(toStatusRow);
  }
  return status;
}

function toStatusRow(row: TaskWithLastAttempt): TaskStatusRow {
  return {
    task_id: row.task_id,
    name: row.name,
    task_class: row.task_class,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    preemptions: row.preemptions,
    lost_leases: row.lost_leases,
    worker_id: row.a_worker,
    return_code: row.a_rc,
    elapsed_seconds: row.a_elapsed,
    cause: row.cause,
    source: row.source,
    fix_applied: row.fix_applied,
    next_attempt_at: row.next_attempt_at === null ? null : new Date(row.next_attempt_at).toISOString(),
    simulated: row.a_sim === 1,
    judgement: judgementOf(row.judgement),
  };
}

// Written by the state machine from a checked note; read back through the schema all the same.
function judgementOf(text: string | null): JudgementNote | null {
  if (text === null) return null;
  const parsed = JudgementNoteSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}
