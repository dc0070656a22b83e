import Database from 'better-sqlite3';
import type { Runtime } from '@rigmind/protocol';
import { ADDED_COLUMNS, BACKFILL_WORKER_STATS_SQL, DERIVED_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

/** Thrown when the database cannot be opened or is of a newer schema: broken infrastructure, not bad input. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: 'store_open_failed' | 'store_schema_newer',
    message: string,
  ) {
    super(message);
  }
}

/** What a statement binds: positional values, or one object of named ones. */
type Params = readonly unknown[];

/**
 * The one SQLite connection of a state database, for the modules of `store/` only: the handle, prepared
 * statements cached by their text, and transactions. Everything else reaches the database through the Store.
 * Rows leave here typed by the caller's query: this file is where SQL's untyped rows become TypeScript's.
 */
export class Connection {
  readonly #db: Database.Database;
  readonly #rows = new Map<string, Database.Statement<unknown[]>>();
  // A statement is pluck or not for good: toggling the mode of a shared statement would leak into its other uses.
  readonly #plucked = new Map<string, Database.Statement<unknown[]>>();
  #syncFull = false;
  readonly #runtime: Pick<Runtime, 'now' | 'id'>;

  constructor(path: string, runtime: Pick<Runtime, 'now' | 'id'>) {
    this.#runtime = runtime;
    try {
      this.#db = new Database(path);
    } catch (error) {
      throw new StoreError('store_open_failed', `cannot open the state database ${path}: ${(error as Error).message}`);
    }
    this.#db.pragma('journal_mode = WAL');
    // NORMAL survives a killed process; the commits a client is told about are synced (syncCommits) so that they
    // survive an OS crash or a power cut too. FULL on every commit cost one fsync per dispatch and per result
    // (+3 to 4 ms a commit, +7 ms a dispatch hop here): a lost worker report only re-runs a task, at least once.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreError('store_schema_newer', `${path} has schema ${version}; this rigmind knows ${SCHEMA_VERSION}`);
    }
    this.#migrate();
  }

  #migrate(): void {
    this.#db.exec(SCHEMA_SQL);
    for (const added of ADDED_COLUMNS) {
      const columns = this.values<string>(`SELECT name FROM pragma_table_info('${added.table}')`);
      if (!columns.includes(added.column)) this.#db.exec(added.ddl);
    }
    const hadStats =
      this.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'worker_stats'") !== undefined;
    this.transaction(() => {
      this.#db.exec(DERIVED_SQL);
      if (!hadStats) this.#db.exec(BACKFILL_WORKER_STATS_SQL);
    });
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  /** A statement prepared once: the hot path runs the same few statements for every task. */
  #statement(sql: string, pluck: boolean): Database.Statement<unknown[]> {
    const cache = pluck ? this.#plucked : this.#rows;
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare<unknown[]>(sql);
      if (pluck) statement.pluck();
      cache.set(sql, statement);
    }
    return statement;
  }

  /** Run a write; how many rows it changed and the last row id. */
  run(sql: string, ...params: Params): Database.RunResult {
    return this.#statement(sql, false).run(...params);
  }

  /** The first row of a query, typed as the query's columns. */
  get<T>(sql: string, ...params: Params): T | undefined {
    return this.#statement(sql, false).get(...params) as T | undefined;
  }

  /** Every row of a query. */
  all<T>(sql: string, ...params: Params): T[] {
    return this.#statement(sql, false).all(...params) as T[];
  }

  /** The first column of the first row. */
  value<T>(sql: string, ...params: Params): T | undefined {
    return this.#statement(sql, true).get(...params) as T | undefined;
  }

  /** The first column of every row. */
  values<T>(sql: string, ...params: Params): T[] {
    return this.#statement(sql, true).all(...params) as T[];
  }

  /**
   * Every row of a query whose text varies with its arguments (a list of placeholders): prepared for this call
   * only, so the cache does not grow with every length of list.
   */
  allOnce<T>(sql: string, ...params: Params): T[] {
    return this.#db.prepare<unknown[]>(sql).all(...params) as T[];
  }

  /** Run `work` as one transaction (a savepoint inside another), committed when it returns. */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /** Whether a transaction is under way. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /**
   * Whether the next commits reach the disk before they return (`synchronous = FULL`: an acknowledged plan, cancel
   * or retry survives power loss) or at the next checkpoint (NORMAL). SQLite takes this only between transactions;
   * inside one, the caller's setting stands.
   */
  syncCommits(full: boolean): void {
    if (full === this.#syncFull || this.#db.inTransaction) return;
    this.#db.pragma(`synchronous = ${full ? 'FULL' : 'NORMAL'}`);
    this.#syncFull = full;
  }

  /** A write that needs a free page on disk and changes nothing: whether writes work again after a failure. */
  probeWrite(): void {
    this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  /** A pragma's value on this connection (a setting such as `synchronous` is per connection). */
  pragma(name: string): unknown {
    return this.#db.pragma(name, { simple: true });
  }

  /** The injected clock (ms). */
  now(): number {
    return this.#runtime.now();
  }

  /** A fresh unique id from the injected runtime. */
  id(): string {
    return this.#runtime.id();
  }

  /** ISO time from the injected clock. */
  isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  /** Close the database. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

const connections = new WeakMap<object, Connection>();

/** Tie a Store to its connection, for the store's own modules (transitions, operator actions) to reach it. */
export function bindConnection(owner: object, connection: Connection): void {
  connections.set(owner, connection);
}

/** The connection of a Store; only modules of `store/` call this (test/rig/store/one-door.test.ts checks). */
export function connectionOf(owner: object): Connection {
  const connection = connections.get(owner);
  if (connection === undefined) throw new Error('not a Store: no connection is bound to it');
  return connection;
}
