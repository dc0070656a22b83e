import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
let reader: Database.Database | undefined;
afterEach(async () => {
  reader?.close();
  reader = undefined;
  await harness?.close();
  harness = undefined;
});

/** What another connection sees: only what the gateway has committed. */
interface Committed {
  readonly pending: number;
  readonly reservations: number;
  readonly ledger: string[];
  readonly audit: string[];
}

function committed(db: Database.Database): Committed {
  const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  return {
    pending: count("SELECT COUNT(*) AS n FROM escalations WHERE state = 'pending'"),
    reservations: count('SELECT COUNT(*) AS n FROM reservations'),
    ledger: (db.prepare('SELECT outcome FROM ledger ORDER BY id').all() as { outcome: string }[]).map(
      (row) => row.outcome,
    ),
    audit: (db.prepare("SELECT kind FROM audit WHERE kind != 'admin' ORDER BY seq").all() as { kind: string }[]).map(
      (row) => row.kind,
    ),
  };
}

/** A stub whose replies record what was committed when each request reached it; `texts` are the replies in order. */
async function startWithSnapshots(texts: string[]): Promise<{ h: Harness; seen: Committed[] }> {
  const seen: Committed[] = [];
  const answer = JSON.stringify({ type: 'answer', text: 'ok' });
  const h = await startHarness({
    stub: {
      reply: () => {
        if (reader !== undefined) seen.push(committed(reader));
        return texts[seen.length - 1] ?? answer;
      },
    },
  });
  reader = new Database(join(h.home, 'gateway.db'), { readonly: true });
  return { h, seen };
}

describe('what commits when, for one escalation', () => {
  it('commits the outbox row, its accepted record and the first reservation before the call goes out', async () => {
    const { h, seen } = await startWithSnapshots([]);
    harness = h;
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    expect(seen).toEqual([{ pending: 1, reservations: 1, ledger: [], audit: ['request_accepted'] }]);
    // The call's ledger row, its record and the outcome came after, and the reservation is gone.
    expect(committed(reader as Database.Database)).toEqual({
      pending: 0,
      reservations: 0,
      ledger: ['ok'],
      audit: ['request_accepted', 'upstream_call', 'escalation_completed'],
    });
  });

  it(
    "writes a call's ledger row and record with the outcome, all or nothing; a failed write keeps the worst case " +
      'reserved',
    async () => {
      const { h } = await startWithSnapshots([]);
      harness = h;
      h.gateway.db.exec(`CREATE TRIGGER no_outcome BEFORE UPDATE OF state ON escalations WHEN NEW.state = 'completed'
      BEGIN SELECT RAISE(ABORT, 'test: the outcome cannot be written'); END`);
      expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(500);
      expect(h.stub.received).toHaveLength(1);
      expect(committed(reader as Database.Database)).toEqual({
        pending: 1,
        reservations: 1,
        ledger: [],
        audit: ['request_accepted'],
      });
      h.gateway.db.exec('DROP TRIGGER no_outcome');
      // On the next start the call is counted at its worst case, as after a crash.
      await h.restart();
      expect(committed(reader as Database.Database)).toMatchObject({
        pending: 1,
        reservations: 0,
        ledger: ['interrupted'],
      });
    },
  );

  it('records a failed try before waiting to retry it', async () => {
    const { h, seen } = await startWithSnapshots([]);
    harness = h;
    h.stub.script({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    // When the retry arrived, the failed try was in the ledger and only the retry's reservation was open.
    expect(seen).toEqual([
      { pending: 1, reservations: 1, ledger: ['overloaded'], audit: ['request_accepted', 'upstream_call'] },
    ]);
    expect(committed(reader as Database.Database).ledger).toEqual(['overloaded', 'ok']);
  });

  it('records the first call before reserving the repair, so the repair is checked against its cost', async () => {
    const { h, seen } = await startWithSnapshots(['not JSON at all', '{"type":"answer","text":"42"}']);
    harness = h;
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    expect(seen[1]).toEqual({
      pending: 1,
      reservations: 1,
      ledger: ['advice_unusable'],
      audit: ['request_accepted', 'upstream_call'],
    });
    expect(committed(reader as Database.Database)).toMatchObject({
      pending: 0,
      reservations: 0,
      ledger: ['advice_unusable', 'ok'],
    });
  });
});
