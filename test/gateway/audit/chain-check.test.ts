import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditChainCheck, AuditLog, openGatewayDb, verifyAudit, type Db } from '@rigmind/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let home: string;
let db: Db;
let log: AuditLog;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'rigmind-chain-'));
  db = openGatewayDb(home);
  log = new AuditLog(db, { now: () => Date.parse('2025-03-01T10:00:00Z') });
  for (let i = 1; i <= 6; i += 1) log.append('admin', 'cli', { action: 'test', n: i });
});
afterEach(() => {
  db.close();
  rmSync(home, { recursive: true, force: true });
});

const append = (n: number): void => {
  for (let i = 0; i < n; i += 1) log.append('admin', 'cli', { action: 'more', i });
};

describe('AuditChainCheck', () => {
  it('reads the whole chain first, then from the last good head on, with the same answer as a full walk', () => {
    const check = new AuditChainCheck(db);
    expect(check.check()).toMatchObject({ ok: true, value: { records: 6 }, checkedFromSeq: 1 });
    append(3);
    const second = check.check();
    expect(second).toMatchObject({ ok: true, value: { records: 9 }, checkedFromSeq: 6 });
    expect(second).toMatchObject(verifyAudit(db));
    expect(check.check()).toMatchObject({ ok: true, value: { records: 9 }, checkedFromSeq: 9 });
  });

  it('starts from the whole chain when the chain was empty', () => {
    db.prepare('DELETE FROM audit').run();
    const check = new AuditChainCheck(db);
    expect(check.check()).toMatchObject({ ok: true, value: { records: 0 }, checkedFromSeq: 1 });
    append(2);
    expect(check.check()).toMatchObject({ ok: true, value: { records: 2 }, checkedFromSeq: 1 });
  });

  it('finds a changed or removed record appended since the last check, and keeps saying so', () => {
    const check = new AuditChainCheck(db);
    check.check();
    append(3);
    db.prepare('UPDATE audit SET detail = \'{"action":"forged"}\' WHERE seq = 8').run();
    expect(check.check()).toMatchObject({ ok: false, seq: 8, checkedFromSeq: 6 });
    expect(check.check()).toMatchObject({ ok: false, seq: 8, checkedFromSeq: 6 });
    db.prepare('DELETE FROM audit WHERE seq = 8').run();
    expect(check.check()).toMatchObject({ ok: false, seq: 9 });
  });

  it('finds the last checked head changed or removed', () => {
    const check = new AuditChainCheck(db);
    check.check();
    db.prepare('UPDATE audit SET detail = \'{"action":"forged"}\' WHERE seq = 6').run();
    expect(check.check()).toMatchObject({
      ok: false,
      seq: 6,
      code: 'record_changed',
      message: 'a record verified earlier was changed',
    });
    db.prepare('DELETE FROM audit WHERE seq = 6').run();
    expect(check.check()).toMatchObject({
      ok: false,
      seq: 6,
      code: 'record_removed',
      message: 'a record verified earlier is gone: it was removed',
    });
  });

  it('leaves a record changed before the last check to the full walk (a restart or audit verify)', () => {
    const check = new AuditChainCheck(db);
    check.check();
    db.prepare('UPDATE audit SET detail = \'{"action":"forged"}\' WHERE seq = 3').run();
    expect(check.check()).toMatchObject({ ok: true, checkedFromSeq: 6 });
    expect(new AuditChainCheck(db).check()).toMatchObject({ ok: false, seq: 3, checkedFromSeq: 1 });
    expect(verifyAudit(db)).toMatchObject({ ok: false, seq: 3 });
  });
});
