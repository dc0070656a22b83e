import { err, ok, type Result } from '@rigmind/protocol';
import type { TokenUsage } from '../config/prices.js';
import { immediateOrJoined, type Db } from '../store/open-db.js';

/** Budget caps in micro-USD. */
export interface BudgetCaps {
  readonly overallDaily: number;
  readonly overallMonthly: number;
  readonly rigDaily: number;
  readonly rigMonthly: number;
}

/** Which cap a reservation would break. */
export type BudgetScope = 'overall_daily' | 'overall_monthly' | 'rig_daily' | 'rig_monthly';

/** The cap a refused reservation would break: its scope, the cap and what is already committed under it. */
export interface BrokenCap {
  readonly scope: BudgetScope;
  readonly capMicro: number;
  readonly committedMicro: number;
}

/** A reservation made (its id), or the cap it would break. */
export type ReserveResult = Result<number, 'budget_exceeded', BrokenCap>;

/** What a reservation holds money for: one upstream call. */
export interface Reservation {
  readonly rigId: string;
  readonly escalationId: string;
  readonly taskId: string;
  readonly model: string;
  readonly priceVersion: string;
  readonly microUsd: number;
}

/** One upstream call as the ledger records it. */
export interface LedgerEntry {
  readonly ts: number;
  readonly rigId: string;
  readonly escalationId: string;
  readonly taskId: string;
  readonly model: string;
  readonly usage: TokenUsage;
  readonly priceVersion: string;
  readonly microUsd: number;
  readonly latencyMs: number;
  /**
   * ok, advice_unusable, rate_limited, overloaded, server_error, connection_error, billing_refused, refused,
   * malformed.
   */
  readonly outcome: string;
  /** Why the call was made: the escalation's own call, or the one repair of an unusable reply. Default advice. */
  readonly purpose?: 'advice' | 'repair';
  readonly httpStatus: number | null;
  readonly requestId: string | null;
}

/** UTC day and month of a time, the budget windows. */
export function budgetWindows(ts: number): { day: string; month: string } {
  const iso = new Date(ts).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

/**
 * The cost ledger and budget reservations. Reserving checks every cap and inserts in one immediate
 * transaction (a savepoint inside the caller's when one is open), and better-sqlite3 is synchronous, so concurrent
 * requests cannot both fit under a cap
 * that only one fits under. Any database error throws; callers fail closed.
 *
 * The caps are checked against the `spend` table (per day and rig: ledger plus open reservations), which every
 * write here updates in the same transaction as the row it adds or removes, so the check reads at most a
 * month of days rather than every call of the month. It is rebuilt from ledger and reservations on construction.
 */
export class Ledger {
  readonly #reserve;
  readonly #settle;
  readonly #release;

  constructor(
    private readonly db: Db,
    private readonly caps: BudgetCaps,
  ) {
    db.transaction(() => {
      db.prepare('DELETE FROM spend').run();
      db.prepare(`INSERT INTO spend (day, month, rig_id, micro_usd)
        SELECT day, MIN(month), rig_id, SUM(micro_usd) FROM (
          SELECT day, month, rig_id, micro_usd FROM ledger
          UNION ALL
          SELECT day, month, rig_id, micro_usd FROM reservations
        ) GROUP BY day, rig_id`).run();
    }).immediate();
    const committed = db.prepare(`
      SELECT
        COALESCE(SUM(CASE WHEN day = @day THEN micro_usd END), 0) AS overall_daily,
        COALESCE(SUM(micro_usd), 0) AS overall_monthly,
        COALESCE(SUM(CASE WHEN day = @day AND rig_id = @rig THEN micro_usd END), 0) AS rig_daily,
        COALESCE(SUM(CASE WHEN rig_id = @rig THEN micro_usd END), 0) AS rig_monthly
      FROM spend WHERE month = @month`);
    const addSpend = db.prepare(
      'INSERT INTO spend (day, month, rig_id, micro_usd) VALUES (?, ?, ?, ?) ON CONFLICT (day, rig_id) DO UPDATE ' +
        'SET micro_usd = micro_usd + excluded.micro_usd',
    );
    const insertReservation = db.prepare(
      'INSERT INTO reservations (ts, day, month, rig_id, escalation_id, task_id, model, price_version, micro_usd) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#reserve = db.transaction((hold: Reservation, ts: number): ReserveResult => {
      const { day, month } = budgetWindows(ts);
      const { microUsd } = hold;
      const sums = committed.get({ day, month, rig: hold.rigId }) as Record<BudgetScope, number>;
      const limits: [BudgetScope, number][] = [
        ['rig_daily', this.caps.rigDaily],
        ['rig_monthly', this.caps.rigMonthly],
        ['overall_daily', this.caps.overallDaily],
        ['overall_monthly', this.caps.overallMonthly],
      ];
      for (const [scope, cap] of limits) {
        if (sums[scope] + microUsd > cap) {
          return err('budget_exceeded', `the ${scope} cap would be broken`, {
            scope,
            capMicro: cap,
            committedMicro: sums[scope],
          });
        }
      }
      const info = insertReservation.run(
        ts,
        day,
        month,
        hold.rigId,
        hold.escalationId,
        hold.taskId,
        hold.model,
        hold.priceVersion,
        microUsd,
      );
      addSpend.run(day, month, hold.rigId, microUsd);
      return ok(Number(info.lastInsertRowid));
    });
    const deleteReservation = db.prepare(
      'DELETE FROM reservations WHERE id = ? RETURNING day, month, rig_id, micro_usd',
    );
    const dropReservation = (reservationId: number): void => {
      const held = deleteReservation.get(reservationId) as
        | { day: string; month: string; rig_id: string; micro_usd: number }
        | undefined;
      if (held !== undefined) addSpend.run(held.day, held.month, held.rig_id, -held.micro_usd);
    };
    const insertEntry =
      db.prepare(`INSERT INTO ledger (ts, day, month, rig_id, escalation_id, task_id, model, input_tokens,
        output_tokens,
      cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, price_version, micro_usd, latency_ms, outcome,
      http_status, request_id, purpose)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#settle = immediateOrJoined(db, (reservationId: number, entry: LedgerEntry): void => {
      const held = deleteReservation.get(reservationId) as
        | { day: string; month: string; rig_id: string; micro_usd: number }
        | undefined;
      const { day, month } = budgetWindows(entry.ts);
      const u = entry.usage;
      insertEntry.run(
        entry.ts,
        day,
        month,
        entry.rigId,
        entry.escalationId,
        entry.taskId,
        entry.model,
        u.input,
        u.output,
        u.cacheWrite5m,
        u.cacheWrite1h,
        u.cacheRead,
        entry.priceVersion,
        entry.microUsd,
        entry.latencyMs,
        entry.outcome,
        entry.httpStatus,
        entry.requestId,
        entry.purpose ?? 'advice',
      );
      // Usually the same day and rig as the reservation: one update of the difference instead of two.
      if (held !== undefined && held.day === day && held.rig_id === entry.rigId) {
        addSpend.run(day, month, entry.rigId, entry.microUsd - held.micro_usd);
        return;
      }
      if (held !== undefined) addSpend.run(held.day, held.month, held.rig_id, -held.micro_usd);
      addSpend.run(day, month, entry.rigId, entry.microUsd);
    });
    this.#release = immediateOrJoined(db, dropReservation);
  }

  /** Reserve a worst-case amount for one upstream call, if every cap allows it. */
  reserve(hold: Reservation, ts: number): ReserveResult {
    // A savepoint when the caller's transaction is open: callers catch a failed reservation and go on (fail
    // closed, but the escalation's row still commits), so a half-written reservation must roll back on its own.
    return this.#reserve.immediate(hold, ts);
  }

  /** Replace a reservation with the call's ledger row, in one transaction. */
  settle(reservationId: number, entry: LedgerEntry): void {
    this.#settle(reservationId, entry);
  }

  /** Drop a reservation whose call never reached upstream. */
  release(reservationId: number): void {
    this.#release(reservationId);
  }

  /**
   * At start-up no call is in flight, so reservations left over are from a crash mid-call. Upstream may have
   * charged for them, so each becomes a ledger row at its worst-case amount (fail closed) rather than vanishing.
   */
  settleOrphans(now: number): number {
    const orphans = this.db.prepare('SELECT * FROM reservations').all() as {
      id: number;
      ts: number;
      rig_id: string;
      escalation_id: string;
      task_id: string;
      model: string;
      price_version: string;
      micro_usd: number;
    }[];
    const none = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    for (const o of orphans) {
      this.settle(o.id, {
        ts: now,
        rigId: o.rig_id,
        escalationId: o.escalation_id,
        taskId: o.task_id,
        model: o.model,
        usage: none,
        priceVersion: o.price_version,
        microUsd: o.micro_usd,
        latencyMs: 0,
        outcome: 'interrupted',
        httpStatus: null,
        requestId: null,
      });
    }
    return orphans.length;
  }
}
