import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayDbError, openGatewayDb } from '@rigmind/gateway';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

describe('openGatewayDb', () => {
  it('opens a database only its user can read, in WAL mode, with foreign keys and a 2 MB page cache', () => {
    const home = mkdtempSync(join(tmpdir(), 'rigmind-db-'));
    const db = openGatewayDb(join(home, 'state'));
    try {
      expect(statSync(join(home, 'state')).mode & 0o777).toBe(0o700);
      expect(statSync(join(home, 'state', 'gateway.db')).mode & 0o777).toBe(0o600);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // NORMAL: a commit is safe from a crash of the process; the checkpointer bounds how long until an fsync.
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      // Negative: KiB. Not better-sqlite3's 16 MB per connection (docs/gateway.md, Memory).
      expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
    } finally {
      db.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('brings a schema 1 database up to date, keeping its rows: escalations gain idempotency_key and its index', () => {
    const home = mkdtempSync(join(tmpdir(), 'rigmind-db-'));
    try {
      const old = new Database(join(home, 'gateway.db'));
      // The escalations table and meta as the first gateway made them.
      old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE escalations (id TEXT PRIMARY KEY, rig_id TEXT NOT NULL, task_id TEXT NOT NULL,
          state TEXT NOT NULL, request TEXT NOT NULL, model TEXT NOT NULL, max_tokens INTEGER NOT NULL, response TEXT,
          deliveries INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
          created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        INSERT INTO escalations VALUES ('esc_old', 'rig', 'task', 'pending', '{}', 'm', 10, NULL, 0, 0, 0, 0);`);
      old.close();
      const db = openGatewayDb(home);
      try {
        expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe('3');
        expect(db.prepare('SELECT id, idempotency_key FROM escalations').all()).toEqual([
          { id: 'esc_old', idempotency_key: null },
        ]);
        const insert = db.prepare(
          'INSERT INTO escalations (id, rig_id, task_id, state, request, model, max_tokens, next_attempt_at, ' +
            "created_at, updated_at, idempotency_key) VALUES (?, ?, 't', 'pending', '{}', 'm', 1, 0, 0, 0, ?)",
        );
        insert.run('esc_a', 'rig', 'key-0123456789abcdef');
        insert.run('esc_b', 'other-rig', 'key-0123456789abcdef');
        expect(() => insert.run('esc_c', 'rig', 'key-0123456789abcdef')).toThrow(/UNIQUE/);
      } finally {
        db.close();
      }
      // Opening again changes nothing more.
      openGatewayDb(home).close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a database from a newer gateway without touching it, and one it cannot open, with stable codes', () => {
    const home = mkdtempSync(join(tmpdir(), 'rigmind-db-'));
    try {
      const newer = new Database(join(home, 'gateway.db'));
      newer.exec(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', " +
          "'99');",
      );
      newer.close();
      const before = readFileSync(join(home, 'gateway.db'));
      expect(() => openGatewayDb(home)).toThrow(
        expect.objectContaining({ code: 'schema_newer', message: expect.stringContaining('schema 99') }),
      );
      expect(readFileSync(join(home, 'gateway.db')).equals(before)).toBe(true);
      mkdirSync(join(home, 'blocked'));
      mkdirSync(join(home, 'blocked', 'gateway.db'));
      const refused = (() => {
        try {
          openGatewayDb(join(home, 'blocked'));
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      expect(refused).toBeInstanceOf(GatewayDbError);
      expect((refused as GatewayDbError).code).toBe('open_failed');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
