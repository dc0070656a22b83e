import type { Connection } from './connection.js';
import { ioColumn, type NewTask, type PlanRow, type TaskRow } from './rows.js';

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

const INSERT_PLAN = `INSERT INTO plans (plan_id, name, description, notes, source, allow_external_sensitive,
  state, submitted_at)
  VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`;
const INSERT_TASK = `INSERT INTO tasks (task_id, plan_id, seq, name, type, command, prompt, model, task_class, executor,
    depends_on, priority, status, created_at, max_retries, timeout_s, estimate_s, vram_mb, requires_external, sensitive,
    source, fix_applied, cwd, env, io, pending_deps, queued_at)
  VALUES (@task_id, @plan_id, @seq, @name, @type, @command, @prompt, @model, @task_class, @executor, @depends_on,
    @priority, @status, @created_at, @max_retries, @timeout_s, @estimate_s, @vram_mb, @requires_external, @sensitive,
    @source, @fix_applied, @cwd, @env, @io, @pending_deps, @queued_at)`;
const INSERT_DEP = 'INSERT OR IGNORE INTO deps (task_id, needs_task_id) VALUES (?, ?)';

/** The meta key that marks a plan whose slices are not all stored yet: its removal is the plan's commit. */
const intakeKey = (planId: string): string => `intake:${planId}`;

/** Plans and their tasks as they arrive: whole, in slices, or added to a running plan. */
export class Plans {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /** Insert a plan and its tasks in one transaction; tasks without dependencies are queued at once. */
  insertPlan(plan: NewPlan): { task_ids: Map<string, string>; queued: string[]; submitted_at: string } {
    const submittedAt = this.#db.isoNow();
    const ids = new Map<string, string>();
    for (const task of plan.tasks) ids.set(task.name, `${plan.plan_id}.${task.name}`);
    const queued = this.#db.transaction(() => {
      this.#insertPlanRow(plan, submittedAt);
      return this.insertTasks(plan.plan_id, plan.tasks, ids, plan.source, 0);
    });
    return { task_ids: ids, queued, submitted_at: submittedAt };
  }

  #insertPlanRow(plan: Omit<NewPlan, 'tasks'>, submittedAt: string): void {
    const sensitive = plan.allow_external_sensitive ? 1 : 0;
    this.#db.run(
      INSERT_PLAN,
      plan.plan_id,
      plan.name,
      plan.description ?? null,
      plan.notes ?? null,
      plan.source,
      sensitive,
      submittedAt,
    );
  }

  /**
   * Insert resolved tasks into a plan (call inside a transaction). `ids` maps each task name (and any name a
   * dependency may use) to its task id. Tasks without dependencies are queued, or with `ready: 'held'` left ready
   * (blocked, nothing pending) for the state machine to release one by one; returns their ids.
   */
  insertTasks(
    planId: string,
    tasks: readonly NewTask[],
    ids: ReadonlyMap<string, string>,
    source: string,
    firstSeq: number,
    ready: 'queued' | 'held' = 'queued',
  ): string[] {
    const createdAt = this.#db.isoNow();
    const nowMs = this.#db.now();
    const queued: string[] = [];
    tasks.forEach((task, index) => {
      const taskId = idOf(ids, task.name);
      const deps = [...new Set(task.depends_on)];
      const free = deps.length === 0;
      if (free) queued.push(taskId);
      this.#db.run(INSERT_TASK, {
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
        status: free && ready === 'queued' ? 'queued' : 'blocked',
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
        io: ioColumn(task),
        pending_deps: deps.length,
        queued_at: free ? nowMs : null,
      });
      for (const dep of deps) this.#db.run(INSERT_DEP, taskId, idOf(ids, dep));
    });
    return queued;
  }

  /** The highest place in a plan's order, or null for a plan without tasks. */
  lastSeq(planId: string): number | null {
    return this.#db.value<number | null>('SELECT max(seq) FROM tasks WHERE plan_id = ?', planId) ?? null;
  }

  /** How many resource tasks (model loads and unloads) a plan has had. */
  resourceTaskCount(planId: string): number {
    return (
      this.#db.value<number>("SELECT count(*) FROM tasks WHERE plan_id = ? AND task_class = 'resource'", planId) ?? 0
    );
  }

  /** Which of `names` a plan already has a task of. */
  takenNames(planId: string, names: readonly string[]): string[] {
    if (names.length === 0) return [];
    const marks = names.map(() => '?').join(',');
    return this.#db
      .allOnce<{ name: string }>(`SELECT name FROM tasks WHERE plan_id = ? AND name IN (${marks})`, planId, ...names)
      .map((row) => row.name);
  }

  /** A plan's queued tasks in plan order (read in one query: a per-task read costs more for large plans). */
  queuedTasks(planId: string): TaskRow[] {
    return this.#db.all<TaskRow>("SELECT * FROM tasks WHERE plan_id = ? AND status = 'queued' ORDER BY seq", planId);
  }

  /** One plan by id. */
  plan(planId: string): PlanRow | undefined {
    return this.#db.get<PlanRow>('SELECT * FROM plans WHERE plan_id = ?', planId);
  }

  /**
   * Plans, newest first; not those still being stored (their counts would be of the slices so far): a plan is
   * listed once it is accepted, all of it on disk.
   */
  plans(limit: number): PlanRow[] {
    const sql = `SELECT * FROM plans WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'intake:' || plans.plan_id)
      ORDER BY submitted_at DESC, rowid DESC LIMIT ?`;
    return this.#db.all<PlanRow>(sql, limit);
  }

  /**
   * Begin storing a large plan in slices: its row and a marker saying it is not whole yet, in one transaction.
   * A brain killed before {@link finishIntake} drops it at its next start ({@link dropUnfinishedIntakes}).
   */
  beginIntake(plan: Omit<NewPlan, 'tasks'>, taskCount: number): void {
    this.#db.transaction(() => {
      this.#insertPlanRow(plan, this.#db.isoNow());
      this.#db.run('INSERT INTO meta (key, value) VALUES (?, ?)', intakeKey(plan.plan_id), String(taskCount));
    });
  }

  /** The plan is whole: remove its marker (call inside the transaction whose commit the ack stands for). */
  finishIntake(planId: string): void {
    this.#db.run('DELETE FROM meta WHERE key = ?', intakeKey(planId));
  }

  /** Whether a plan is still being stored. */
  intakeUnderway(planId: string): boolean {
    return this.#db.get('SELECT 1 FROM meta WHERE key = ?', intakeKey(planId)) !== undefined;
  }

  /** Drop every plan a killed brain left half-stored; returns their ids. */
  dropUnfinishedIntakes(): string[] {
    const planIds = this.#db.values<string>("SELECT substr(key, 8) FROM meta WHERE key LIKE 'intake:%'");
    for (const planId of planIds) this.dropIntake(planId);
    return planIds;
  }

  /** Drop a plan that was never whole: its tasks, their dependencies, its row and its marker. */
  dropIntake(planId: string): void {
    this.#db.transaction(() => {
      this.#db.run('DELETE FROM deps WHERE task_id IN (SELECT task_id FROM tasks WHERE plan_id = ?)', planId);
      this.#db.run('DELETE FROM tasks WHERE plan_id = ?', planId);
      this.#db.run('DELETE FROM plans WHERE plan_id = ?', planId);
      this.#db.run('DELETE FROM meta WHERE key = ?', intakeKey(planId));
    });
  }
}

// Plan resolution gives every name and dependency an id; a missing one is a bug there, not bad input.
function idOf(ids: ReadonlyMap<string, string>, name: string): string {
  const id = ids.get(name);
  if (id === undefined) throw new Error(`no task id for '${name}'`);
  return id;
}
