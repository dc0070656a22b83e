import type { EscalationResponse, EscalationState } from '@rigmind/protocol';
import type { Db } from '../store/open-db.js';

/** An escalation as the durable outbox keeps it. `request` is the redacted EscalationRequest as JSON. */
export interface EscalationRow {
  readonly id: string;
  readonly rig_id: string;
  readonly task_id: string;
  readonly state: EscalationState;
  readonly request: string;
  readonly model: string;
  readonly max_tokens: number;
  readonly response: string | null;
  readonly deliveries: number;
  readonly next_attempt_at: number;
  readonly created_at: number;
  readonly updated_at: number;
  /** The sender's idempotency key, if it sent one. */
  readonly idempotency_key: string | null;
}

/** What a new escalation is stored with. */
export interface NewEscalation {
  readonly id: string;
  readonly rigId: string;
  readonly taskId: string;
  readonly request: string;
  readonly model: string;
  readonly maxTokens: number;
  readonly idempotencyKey: string | null;
}

/**
 * The escalations table: every accepted escalation, answered or not, so `GET /v1/escalations/:id` serves both
 * and nothing accepted is lost across a restart. A pending row is leased by pushing `next_attempt_at` ahead
 * while someone works on it; after a crash the lease runs out and the outbox takes the row over.
 */
export class EscalationStore {
  readonly #claim;
  readonly #insert;
  readonly #get;
  readonly #finish;
  readonly #defer;
  readonly #deliveries;
  readonly #byKey;
  readonly #releaseKey;
  readonly #withdraw;

  constructor(db: Db) {
    // Prepared once: preparing is a parse and plan per call, on every request's path.
    this.#insert = db.prepare(
      `INSERT INTO escalations (id, rig_id, task_id, state, request, model, max_tokens, deliveries,
        next_attempt_at, created_at, updated_at, idempotency_key)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, 0, ?, ?, ?, ?)`,
    );
    this.#byKey = db.prepare('SELECT * FROM escalations WHERE rig_id = ? AND idempotency_key = ?');
    this.#releaseKey = db.prepare('UPDATE escalations SET idempotency_key = NULL WHERE id = ?');
    this.#get = db.prepare('SELECT * FROM escalations WHERE id = ?');
    // Only a pending row: a row withdrawn while its last call was in flight stays withdrawn (that call is still in the
    // ledger).
    this.#finish = db.prepare(
      'UPDATE escalations SET state = ?, response = ?, deliveries = deliveries + 1, updated_at = ? WHERE id = ? AND ' +
        "state = 'pending'",
    );
    this.#withdraw = db.prepare(
      "UPDATE escalations SET state = 'failed', response = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
    );
    this.#defer = db.prepare(
      'UPDATE escalations SET deliveries = deliveries + 1, next_attempt_at = ?, updated_at = ? WHERE id = ?',
    );
    this.#deliveries = db.prepare('SELECT deliveries FROM escalations WHERE id = ?');
    const due = db.prepare(
      "SELECT * FROM escalations WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
    );
    const lease = db.prepare('UPDATE escalations SET next_attempt_at = ?, updated_at = ? WHERE id = ?');
    this.#claim = db.transaction((now: number, leaseUntil: number, limit: number): EscalationRow[] => {
      const rows = due.all(now, limit) as EscalationRow[];
      for (const row of rows) lease.run(leaseUntil, now, row.id);
      return rows;
    });
  }

  /** Store a new pending escalation, leased to its caller until `leaseUntil`; returns the row as stored. */
  create(entry: NewEscalation, now: number, leaseUntil: number): EscalationRow {
    this.#insert.run(
      entry.id,
      entry.rigId,
      entry.taskId,
      entry.request,
      entry.model,
      entry.maxTokens,
      leaseUntil,
      now,
      now,
      entry.idempotencyKey,
    );
    return {
      id: entry.id,
      rig_id: entry.rigId,
      task_id: entry.taskId,
      state: 'pending',
      request: entry.request,
      model: entry.model,
      max_tokens: entry.maxTokens,
      response: null,
      deliveries: 0,
      next_attempt_at: leaseUntil,
      created_at: now,
      updated_at: now,
      idempotency_key: entry.idempotencyKey,
    };
  }

  /** The escalation a rig already made under an idempotency key, if any. */
  findByKey(rigId: string, key: string): EscalationRow | undefined {
    return this.#byKey.get(rigId, key) as EscalationRow | undefined;
  }

  /** Free an escalation's idempotency key for a new escalation (the old one stays, without it). */
  releaseKey(id: string): void {
    this.#releaseKey.run(id);
  }

  /** One escalation, if it exists. */
  get(id: string): EscalationRow | undefined {
    return this.#get.get(id) as EscalationRow | undefined;
  }

  /** Lease up to `limit` due pending escalations (one transaction, so two loops never take the same row). */
  claimDue(now: number, leaseUntil: number, limit: number): EscalationRow[] {
    return this.#claim.immediate(now, leaseUntil, limit);
  }

  /** Record a final answer (completed or failed). */
  finish(id: string, response: EscalationResponse, now: number): void {
    this.#finish.run(response.state, JSON.stringify(response), now, id);
  }

  /** End a pending escalation as withdrawn (`response`, state failed); false when it was not pending. */
  withdraw(id: string, response: EscalationResponse, now: number): boolean {
    return this.#withdraw.run(JSON.stringify(response), now, id).changes === 1;
  }

  /** Put an undelivered escalation back for a later try; returns how many deliveries it has had. */
  defer(id: string, nextAttemptAt: number, now: number): number {
    this.#defer.run(nextAttemptAt, now, id);
    return (this.#deliveries.get(id) as { deliveries: number }).deliveries;
  }
}
