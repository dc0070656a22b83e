import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  GATEWAY_ADDED_COLUMNS,
  GATEWAY_SCHEMA_AFTER_COLUMNS_SQL,
  GATEWAY_SCHEMA_SQL,
  GATEWAY_SCHEMA_VERSION,
} from './schema.js';

/** The gateway's database cannot be used as it is (a stable `code` says why). */
export class GatewayDbError extends Error {
  override readonly name = 'GatewayDbError';
  constructor(
    readonly code: 'open_failed' | 'schema_newer',
    message: string,
  ) {
    super(message);
  }
}

/** A better-sqlite3 handle. */
export type Db = Database.Database;

/** Runs a function in one immediate transaction, or inside the one already open, all or nothing. */
export type Atomically = <T>(fn: () => T) => T;

/**
 * `fn` as one immediate transaction, or as part of the transaction already open on `db`, without a savepoint.
 * Only for writes whose failure no caller catches inside an outer transaction: then the outer transaction rolls
 * back everything a savepoint would have, and the savepoint's two extra statements are saved. (A write that is
 * caught and survived, like a budget reservation, needs its savepoint.) Synchronous code cannot find another
 * caller's transaction open, so an open one is ours.
 */
export function immediateOrJoined<A extends unknown[], R>(db: Db, fn: (...args: A) => R): (...args: A) => R {
  const tx = db.transaction(fn);
  return (...args: A): R => (db.inTransaction ? fn(...args) : tx.immediate(...args));
}

/**
 * One transaction around several writes: a request's writes that belong together (its outbox row, its audit
 * record and its first budget reservation; a delivery's ledger rows, its outcome and their audit records)
 * commit once instead of once each.
 */
export function atomically(db: Db): Atomically {
  const run = immediateOrJoined(db, (fn: () => unknown) => fn());
  return <T>(fn: () => T): T => run(fn) as T;
}

function refuseNewerSchema(db: Db, path: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  const stored = hasMeta
    ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined)
    : undefined;
  if (stored !== undefined && Number(stored) > GATEWAY_SCHEMA_VERSION) {
    db.close();
    throw new GatewayDbError(
      'schema_newer',
      `${path} has schema ${stored}; this gateway knows ${GATEWAY_SCHEMA_VERSION} (a newer gateway wrote it)`,
    );
  }
}

/**
 * Open an existing `<home>/gateway.db` for reading only, for commands that only look: nothing is created,
 * migrated or locked for writing, so a running gateway is never held up by them.
 */
export function openGatewayDbReadonly(home: string): Db {
  const path = join(home, 'gateway.db');
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new GatewayDbError('open_failed', `cannot open ${path}: ${(error as Error).message}`);
  }
  refuseNewerSchema(db, path);
  return db;
}

/** Open (creating if needed) `<home>/gateway.db` in WAL mode with the schema applied. */
export function openGatewayDb(home: string): Db {
  const path = join(home, 'gateway.db');
  let db: Db;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    db = new Database(path);
  } catch (error) {
    throw new GatewayDbError('open_failed', `cannot open ${path}: ${(error as Error).message}`);
  }
  // Checked before anything is set or written: a database from a newer gateway is left exactly as it is.
  refuseNewerSchema(db, path);
  // The database holds rig secrets: only the gateway's user may read it.
  chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // SQLite's own default page cache, 2 MB: better-sqlite3 builds with 16 MB per connection, which the gateway's
  // working set (the newest pages of its tables and indexes) does not need and a Pi's memory does. Measured at 200
  // escalations/s on Node 20: 25 - 58 MB less resident, no more CPU per escalation (docs/gateway.md, Memory).
  db.pragma('cache_size = -2000');
  db.transaction(() => {
    db.exec(GATEWAY_SCHEMA_SQL);
    for (const added of GATEWAY_ADDED_COLUMNS) {
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(added.table) as string[];
      if (!columns.includes(added.column)) db.exec(added.ddl);
    }
    db.exec(GATEWAY_SCHEMA_AFTER_COLUMNS_SQL);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
      'schema_version',
      String(GATEWAY_SCHEMA_VERSION),
    );
  }).immediate();
  return db;
}
