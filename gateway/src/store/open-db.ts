import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GATEWAY_SCHEMA_SQL, GATEWAY_SCHEMA_VERSION } from './schema.js';

/** A better-sqlite3 handle. */
export type Db = Database.Database;

/** Runs a function in one immediate transaction (a savepoint when one is already open), all or nothing. */
export type Atomically = <T>(fn: () => T) => T;

/**
 * One transaction around several writes: a request's writes that belong together (its outbox row and its audit
 * record, a ledger row and its audit record) commit once instead of once each.
 */
export function atomically(db: Db): Atomically {
  const tx = db.transaction((fn: () => unknown) => fn());
  return <T>(fn: () => T): T => tx.immediate(fn) as T;
}

/** Open (creating if needed) `<home>/gateway.db` in WAL mode with the schema applied. */
export function openGatewayDb(home: string): Db {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = join(home, 'gateway.db');
  const db = new Database(path);
  // The database holds rig secrets: only the gateway's user may read it.
  chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(GATEWAY_SCHEMA_SQL);
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(GATEWAY_SCHEMA_VERSION));
  return db;
}
