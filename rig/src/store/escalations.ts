import type { EscalationReason } from '@rigmind/protocol';
import type { Connection } from './connection.js';

/**
 * Where an escalation stands on the rig's side. `withdrawing`: its task was canceled, and the gateway is being
 * asked to withdraw what it accepted, so it is not delivered (and paid for) after all.
 */
export type EscalationState = 'sending' | 'withdrawing' | 'awaiting_subtasks' | 'held' | 'done';

/** A row of the escalations table: the rig's durable memory of a handoff, so a brain restart resumes it. */
export interface EscalationRow {
  task_id: string;
  reason: EscalationReason;
  state: EscalationState;
  escalation_id: string | null;
  /** Sent with every try of this handoff, so the gateway makes one escalation of them however many replies are lost. */
  idempotency_key: string | null;
  /**
   * The request as first sent (JSON), resent byte for byte: rebuilt, it could differ (an output file rotated
   * meanwhile) and the gateway would refuse the key with a different request.
   */
  handoff: string | null;
  tries: number;
  next_at: number;
  detail: string | null;
  updated_at: string;
}

/** The escalations table, on the store's connection (its writes commit with the brain's frame). */
export class EscalationStore {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Start (or restart) the handoff of a task, under a new idempotency key: a new handoff is a new request. */
  begin(taskId: string, reason: EscalationReason): void {
    this.#db.run(
      `INSERT INTO escalations (task_id, reason, state, idempotency_key, tries, next_at, updated_at) 
         VALUES (?, ?, 'sending', ?, 0, ?, ?)
       ON CONFLICT(task_id) DO UPDATE SET reason = excluded.reason, state = 'sending', escalation_id = NULL,
         idempotency_key = excluded.idempotency_key,
         handoff = NULL, tries = 0, next_at = excluded.next_at, detail = NULL, updated_at = excluded.updated_at`,
      taskId,
      reason,
      `handoff-${this.#db.id()}`,
      this.#db.now(),
      this.#db.isoNow(),
    );
  }

  /** One escalation. */
  get(taskId: string): EscalationRow | undefined {
    return this.#db.get<EscalationRow>('SELECT * FROM escalations WHERE task_id = ?', taskId);
  }

  /** Escalations still being sent or withdrawn, due by `now` (also what a restarted brain resumes). */
  due(now: number): EscalationRow[] {
    return this.#db.all<EscalationRow>(
      "SELECT * FROM escalations WHERE state IN ('sending', 'withdrawing') AND next_at <= ? ORDER BY next_at",
      now,
    );
  }

  /** Start withdrawing an escalation whose task was canceled, now. */
  withdrawing(taskId: string, detail: string): void {
    const sql =
      "UPDATE escalations SET state = 'withdrawing', tries = 0, next_at = ?, detail = ?, updated_at = ? " +
      'WHERE task_id = ?';
    this.#db.run(sql, this.#db.now(), detail, this.#db.isoNow(), taskId);
  }

  /** The gateway's id of an escalation, learnt from a reply. */
  learnId(taskId: string, escalationId: string): void {
    this.#db.run(
      'UPDATE escalations SET escalation_id = ?, updated_at = ? WHERE task_id = ?',
      escalationId,
      this.#db.isoNow(),
      taskId,
    );
  }

  /** Record a try that did not bring advice: when to try again, and the gateway's id if it has one. */
  retryLater(taskId: string, nextAt: number, escalationId: string | undefined, detail: string): void {
    this.#db.run(
      'UPDATE escalations SET tries = tries + 1, next_at = ?, escalation_id = COALESCE(?, escalation_id), ' +
        'detail = ?, updated_at = ? WHERE task_id = ?',
      nextAt,
      escalationId ?? null,
      detail,
      this.#db.isoNow(),
      taskId,
    );
  }

  /** Keep the request a handoff's first try sends, for its later tries. */
  keepHandoff(taskId: string, handoff: string): void {
    this.#db.run('UPDATE escalations SET handoff = ? WHERE task_id = ?', handoff, taskId);
  }

  /** Move an escalation to another state. */
  setState(taskId: string, state: EscalationState, detail: string | null): void {
    this.#db.run(
      'UPDATE escalations SET state = ?, detail = ?, updated_at = ? WHERE task_id = ?',
      state,
      detail,
      this.#db.isoNow(),
      taskId,
    );
  }
}
