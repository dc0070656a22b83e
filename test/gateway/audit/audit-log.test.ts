import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, hashRecord, openGatewayDb, verifyAudit, type Db } from '@rigmind/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let home: string;
let db: Db;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'rigmind-audit-'));
  db = openGatewayDb(home);
  const log = new AuditLog(db, { now: () => Date.parse('2025-03-01T10:00:00Z') });
  for (let i = 1; i <= 6; i += 1) log.append('admin', 'cli', { action: 'test', n: i });
});
afterEach(() => {
  db.close();
  rmSync(home, { recursive: true, force: true });
});

describe('audit chain', () => {
  it('verifies an untouched chain and names its head', () => {
    const result = verifyAudit(db);
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.records).toBe(6);
  });

  it('finds a modified record', () => {
    db.prepare('UPDATE audit SET detail = \'{"action":"test","n":99}\' WHERE seq = 3').run();
    expect(verifyAudit(db)).toMatchObject({ ok: false, seq: 3 });
  });

  it('finds a modified record whose hash was recomputed (the next link breaks)', () => {
    const row = db.prepare('SELECT * FROM audit WHERE seq = 3').get() as {
      prev_hash: string;
      ts: string;
      kind: string;
      actor: string;
    };
    const detail = '{"action":"forged"}';
    const hash = hashRecord({ seq: 3, ts: row.ts, kind: row.kind, actor: row.actor, detail, prev_hash: row.prev_hash });
    db.prepare('UPDATE audit SET detail = ?, hash = ? WHERE seq = 3').run(detail, hash);
    expect(verifyAudit(db)).toMatchObject({ ok: false, seq: 4 });
  });

  it('finds a removed record', () => {
    db.prepare('DELETE FROM audit WHERE seq = 4').run();
    expect(verifyAudit(db)).toMatchObject({ ok: false, seq: 5 });
  });

  it('finds a removed record even when the sequence is renumbered', () => {
    db.prepare('DELETE FROM audit WHERE seq = 4').run();
    db.prepare('UPDATE audit SET seq = seq - 1 WHERE seq > 4').run();
    expect(verifyAudit(db)).toMatchObject({ ok: false, seq: 4 });
  });

  it('finds two records swapped', () => {
    const a = db.prepare('SELECT * FROM audit WHERE seq = 2').get() as Record<string, unknown>;
    const b = db.prepare('SELECT * FROM audit WHERE seq = 5').get() as Record<string, unknown>;
    const put = db.prepare(
      'UPDATE audit SET ts = @ts, kind = @kind, actor = @actor, detail = @detail, prev_hash = @prev_hash, hash = ' +
        '@hash WHERE seq = @at',
    );
    put.run({ ...b, at: 2 });
    put.run({ ...a, at: 5 });
    expect(verifyAudit(db)).toMatchObject({ ok: false, seq: 2 });
  });
});
