import Database from 'better-sqlite3';
import type { RigEvent } from '@rigmind/protocol';
import type { AttemptRow, NewTask, PlanRow, TaskRow } from './rows.js';
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

/** A plan to insert, already resolved and ordered. */
export interface NewPlan {
  readonly plan_id: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly notes?: string | undefined;
  readonly source: string;
  readonly allow_external_sensitive: boolean;
  readonly tasks: readonly NewTask[];
}

/** The SQLite connection and the statements every transition uses. */
export class Store {
  readonly db: Database.Database;
  #syncFull = false;
  readonly now: () => number;
  readonly #statements = new Map<string, Database.Statement>();

  /** A prepared statement, prepared once: the hot path runs the same few statements for every task. */
  stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  constructor(path: string, now: () => number = Date.now) {
    this.now = now;
    try {
      this.db = new Database(path);
    } catch (error) {
      throw new StoreError('store_open_failed', `cannot open the state database ${path}: ${(error as Error).message}`);
    }
    this.db.pragma('journal_mode = WAL');
    // NORMAL survives a killed process; the commits a client is told about are synced (syncCommits) so that they
    // survive an OS crash or a power cut too. FULL on every commit cost one fsync per dispatch and per result
    // (+3 to 4 ms a commit, +7 ms a dispatch hop here): a lost worker report only re-runs a task, at least once.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreError('store_schema_newer', `${path} has schema ${version}; this rigmind knows ${SCHEMA_VERSION}`);
    }
    this.db.exec(SCHEMA_SQL);
    for (const added of ADDED_COLUMNS) {
      const columns = this.db.prepare(`SELECT name FROM pragma_table_info('${added.table}')`).pluck().all() as string[];
      if (!columns.includes(added.column)) this.db.exec(added.ddl);
    }
    const hadStats = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'worker_stats'").get() !== undefined;
    this.db.transaction(() => {
      this.db.exec(DERIVED_SQL);
      if (!hadStats) this.db.exec(BACKFILL_WORKER_STATS_SQL);
    })();
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  /**
   * Whether the next commits reach the disk before they return (`synchronous = FULL`: an acknowledged plan, cancel
   * or retry survives power loss) or at the next checkpoint (NORMAL). SQLite takes this only between transactions;
   * inside one, the caller's setting stands.
   */
  syncCommits(full: boolean): void {
    if (full === this.#syncFull || this.db.inTransaction) return;
    this.db.pragma(`synchronous = ${full ? 'FULL' : 'NORMAL'}`);
    this.#syncFull = full;
  }

  /** ISO time from the injected clock. */
  isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  /** Insert a plan and its tasks in one transaction; tasks without dependencies are queued at once. */
  insertPlan(plan: NewPlan): { task_ids: Map<string, string>; queued: string[]; submitted_at: string } {
    const submittedAt = this.isoNow();
    const ids = new Map<string, string>();
    for (const task of plan.tasks) ids.set(task.name, `${plan.plan_id}.${task.name}`);
    let queued: string[] = [];
    this.db.transaction(() => {
      this.stmt(
        `INSERT INTO plans (plan_id, name, description, notes, source, allow_external_sensitive, state, submitted_at)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`,
      ).run(plan.plan_id, plan.name, plan.description ?? null, plan.notes ?? null, plan.source, plan.allow_external_sensitive ? 1 : 0, submittedAt);
      queued = this.insertTasks(plan.plan_id, plan.tasks, ids, plan.source, 0);
    })();
    return { task_ids: ids, queued, submitted_at: submittedAt };
  }

  /**
   * Insert resolved tasks into a plan (call inside a transaction). `ids` maps each task name (and any name a
   * dependency may use) to its task id. Tasks without dependencies are queued; returns their ids.
   */
  insertTasks(planId: string, tasks: readonly NewTask[], ids: ReadonlyMap<string, string>, source: string, firstSeq: number): string[] {
    const createdAt = this.isoNow();
    const nowMs = this.now();
    const insertTask = this.stmt(
      `INSERT INTO tasks (task_id, plan_id, seq, name, type, command, prompt, model, task_class, executor, depends_on,
         priority, status, created_at, max_retries, timeout_s, estimate_s, vram_mb, requires_external, sensitive, source,
         fix_applied, cwd, env, pending_deps, queued_at)
       VALUES (@task_id, @plan_id, @seq, @name, @type, @command, @prompt, @model, @task_class, @executor, @depends_on,
         @priority, @status, @created_at, @max_retries, @timeout_s, @estimate_s, @vram_mb, @requires_external, @sensitive,
         @source, @fix_applied, @cwd, @env, @pending_deps, @queued_at)`,
    );
    const insertDep = this.stmt('INSERT OR IGNORE INTO deps (task_id, needs_task_id) VALUES (?, ?)');
    const queued: string[] = [];
    tasks.forEach((task, index) => {
      const taskId = ids.get(task.name) as string;
      const deps = [...new Set(task.depends_on)];
      const ready = deps.length === 0;
      if (ready) queued.push(taskId);
      insertTask.run({
        task_id: taskId,
        plan_id: planId,
        seq: firstSeq + index,
        name: task.name,
        type: task.type,
        command: task.command ?? null,
        prompt: task.prompt ?? null,
        model: task.model ?? null,
        task_class: task.task_class,
        executor: task.executor,
        depends_on: JSON.stringify(deps),
        priority: task.priority,
        status: ready ? 'queued' : 'blocked',
        created_at: createdAt,
        max_retries: task.max_retries,
        timeout_s: task.timeout_s,
        estimate_s: task.estimate_s ?? null,
        vram_mb: task.vram_mb ?? null,
        requires_external: task.requires_external ? 1 : 0,
        sensitive: task.sensitive ? 1 : 0,
        source,
        fix_applied: task.fix_applied ?? null,
        cwd: task.cwd ?? null,
        env: task.env === undefined ? null : JSON.stringify(task.env),
        pending_deps: deps.length,
        queued_at: ready ? nowMs : null,
      });
      for (const dep of deps) insertDep.run(taskId, ids.get(dep) as string);
    });
    return queued;
  }

  /** One task by id. */
  task(taskId: string): TaskRow | undefined {
    return this.stmt('SELECT * FROM tasks WHERE task_id = ?').get(taskId) as TaskRow | undefined;
  }

  /** One plan by id. */
  plan(planId: string): PlanRow | undefined {
    return this.stmt('SELECT * FROM plans WHERE plan_id = ?').get(planId) as PlanRow | undefined;
  }

  /** Plans, newest first. */
  plans(limit = 50): PlanRow[] {
    return this.db.prepare('SELECT * FROM plans ORDER BY submitted_at DESC, rowid DESC LIMIT ?').all(limit) as PlanRow[];
  }

  /** A plan's tasks in plan order. */
  planTasks(planId: string): TaskRow[] {
    return this.db.prepare('SELECT * FROM tasks WHERE plan_id = ? ORDER BY seq').all(planId) as TaskRow[];
  }

  /** Tasks in the given states (for rebuilding memory on start). */
  tasksIn(statuses: readonly string[]): TaskRow[] {
    const marks = statuses.map(() => '?').join(',');
    return this.db.prepare(`SELECT * FROM tasks WHERE status IN (${marks}) ORDER BY queued_at, seq`).all(...statuses) as TaskRow[];
  }

  /** A task's attempts, oldest first. */
  attempts(taskId: string): AttemptRow[] {
    return this.db.prepare('SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt').all(taskId) as AttemptRow[];
  }

  /** Every live lease. */
  leases(): { task_id: string; attempt: number; worker_id: string; leased_at: number }[] {
    return this.db.prepare('SELECT * FROM leases').all() as { task_id: string; attempt: number; worker_id: string; leased_at: number }[];
  }

  /** Record an event; returns its sequence number. */
  appendEvent(event: RigEvent): number {
    const info = this
      .stmt('INSERT INTO events (ts, event_type, plan_id, task_id, body) VALUES (?, ?, ?, ?, ?)')
      .run(event.timestamp, event.event_type, event.plan_id ?? null, event.task_id ?? null, JSON.stringify(event));
    return Number(info.lastInsertRowid);
  }

  /** Remember a worker that registered. */
  upsertWorker(workerId: string, info: unknown): void {
    const now = this.isoNow();
    this.db
      .prepare(
        `INSERT INTO workers (worker_id, info, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT(worker_id) DO UPDATE SET info = excluded.info, last_seen = excluded.last_seen`,
      )
      .run(workerId, JSON.stringify(info), now, now);
  }

  /**
   * A write that needs a free page on disk and changes nothing: it tells whether writes work again after a
   * failure (call inside a transaction, so it commits through the same WAL as every other write).
   */
  probeWrite(): void {
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  /** Close the database. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
