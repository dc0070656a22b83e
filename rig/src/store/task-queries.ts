import type { RigEvent } from '@rigmind/protocol';
import type { Connection } from './connection.js';
import type { AttemptRow, TaskRow } from './rows.js';

/** A live lease: which worker runs which attempt of a task, since when (ms). */
export interface LeaseRow {
  task_id: string;
  attempt: number;
  worker_id: string;
  leased_at: number;
}

/** Reads of tasks, attempts and leases, and the two records kept beside them (events, workers). */
export class TaskQueries {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** One task by id. */
  task(taskId: string): TaskRow | undefined {
    return this.#db.get<TaskRow>('SELECT * FROM tasks WHERE task_id = ?', taskId);
  }

  /** A plan's tasks in plan order. */
  planTasks(planId: string): TaskRow[] {
    return this.#db.all<TaskRow>('SELECT * FROM tasks WHERE plan_id = ? ORDER BY seq', planId);
  }

  /** Tasks in the given states, oldest in the queue first (for rebuilding memory). */
  tasksIn(statuses: readonly string[]): TaskRow[] {
    const marks = statuses.map(() => '?').join(',');
    return this.#db.allOnce<TaskRow>(
      `SELECT * FROM tasks WHERE status IN (${marks}) ORDER BY queued_at, seq`,
      ...statuses,
    );
  }

  /** A task's attempts, oldest first. */
  attempts(taskId: string): AttemptRow[] {
    return this.#db.all<AttemptRow>('SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt', taskId);
  }

  /** The worker an attempt was given to, if the attempt exists. */
  attemptWorker(taskId: string, attempt: number): string | null | undefined {
    return this.#db.value<string | null>(
      'SELECT worker_id FROM attempts WHERE task_id = ? AND attempt = ?',
      taskId,
      attempt,
    );
  }

  /** Every live lease. */
  leases(): LeaseRow[] {
    return this.#db.all<LeaseRow>('SELECT * FROM leases');
  }

  /** A task's live lease, if it has one. */
  leaseOf(taskId: string): LeaseRow | undefined {
    return this.#db.get<LeaseRow>('SELECT * FROM leases WHERE task_id = ?', taskId);
  }

  /** Record an event; returns its sequence number. */
  appendEvent(event: RigEvent): number {
    const sql = 'INSERT INTO events (ts, event_type, plan_id, task_id, body) VALUES (?, ?, ?, ?, ?)';
    const info = this.#db.run(
      sql,
      event.timestamp,
      event.event_type,
      event.plan_id ?? null,
      event.task_id ?? null,
      JSON.stringify(event),
    );
    return Number(info.lastInsertRowid);
  }

  /** Remember a worker that registered. */
  upsertWorker(workerId: string, info: unknown): void {
    const now = this.#db.isoNow();
    this.#db.run(
      `INSERT INTO workers (worker_id, info, first_seen, last_seen) VALUES (?, ?, ?, ?)
       ON CONFLICT(worker_id) DO UPDATE SET info = excluded.info, last_seen = excluded.last_seen`,
      workerId,
      JSON.stringify(info),
      now,
      now,
    );
  }
}
