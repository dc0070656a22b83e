import type { Connection } from './connection.js';

/** A blocked GPU task one step from ready: its dependencies all running or done. */
export interface UpcomingRow {
  task_id: string;
  task_class: 'script' | 'llm';
  model: string | null;
  priority: number;
  seq: number;
  estimate_s: number | null;
  vram_mb: number | null;
  /** The longest estimate among its unfinished dependencies (30 s for one without an estimate). */
  wait_s: number | null;
}

/** A task of a plan that still has brain work ahead. */
export interface PlanDagRow {
  task_id: string;
  status: string;
  executor: 'brain' | 'worker';
  /** Never `resource`: the brain's own load/unload tasks are left out. */
  task_class: 'cpu' | 'script' | 'llm';
  model: string | null;
  priority: number;
  seq: number;
  estimate_s: number | null;
  vram_mb: number | null;
  leased_at: number | null;
}

/** A dependency edge: `task_id` needs `needs_task_id`. */
export interface DepRow {
  task_id: string;
  needs_task_id: string;
}

// Only dependents of running work are looked at: a task one step from ready has a dependency leased or running (had
// they all completed, it would be queued), and a 10,000-task plan's blocked tasks are not scanned at every pump.
// CROSS JOIN fixes the order: from the running tasks to their dependents. Written as `t.task_id IN (...)`, SQLite
// scanned every blocked task by the status index and tested each against the list (7 ms on a 10,000-task plan).
const UPCOMING_SQL = `SELECT t.task_id, t.task_class, t.model, t.priority, t.seq, t.estimate_s, t.vram_mb,
    (SELECT max(coalesce(u.estimate_s, 30)) FROM deps d JOIN tasks u ON u.task_id = d.needs_task_id
      WHERE d.task_id = t.task_id AND u.status != 'completed') AS wait_s
  FROM (SELECT DISTINCT d.task_id AS id FROM tasks r JOIN deps d ON d.needs_task_id = r.task_id
        WHERE r.status IN ('leased', 'running')) AS next
  CROSS JOIN tasks t ON t.task_id = next.id
  WHERE t.status = 'blocked' AND t.executor = 'worker' AND t.task_class IN ('script', 'llm')
    AND NOT EXISTS (SELECT 1 FROM deps d JOIN tasks u ON u.task_id = d.needs_task_id
                    WHERE d.task_id = t.task_id AND u.status NOT IN ('leased', 'running', 'completed'))
  ORDER BY t.priority DESC, t.seq
  LIMIT ?`;
// Pinned to the partial index (schema.ts): without statistics SQLite takes the status index and walks every blocked
// task of a big plan (2.5 ms at 10,000 tasks, against 0.01 ms).
const BRAIN_PLANS_SQL = `SELECT DISTINCT plan_id FROM tasks INDEXED BY tasks_brain_blocked
  WHERE status = 'blocked' AND executor = 'brain' AND task_class IN ('llm', 'script')`;
const PLAN_DAG_SQL = `SELECT t.task_id, t.status, t.executor, t.task_class, t.model, t.priority, t.seq,
  t.estimate_s, t.vram_mb,
    l.leased_at
  FROM tasks t LEFT JOIN leases l ON l.task_id = t.task_id
  WHERE t.plan_id = ? AND t.task_class != 'resource' ORDER BY t.seq`;
const PLAN_DEPS_SQL =
  'SELECT d.task_id, d.needs_task_id FROM deps d JOIN tasks t ON t.task_id = d.task_id WHERE t.plan_id = ?';

/** The look-ahead's two hot queries as SQL text, for tests that check SQLite's plan for them (EXPLAIN). */
export const DAG_HOT_SQL = { upcoming: UPCOMING_SQL, brainPlans: BRAIN_PLANS_SQL } as const;

/** What the GPU scheduler reads of the task graph to look ahead. */
export class DagQueries {
  readonly #db: Connection;

  constructor(db: Connection) {
    this.#db = db;
  }

  /**
   * Blocked worker GPU tasks whose dependencies are all running or done, highest priority first, at most `limit`.
   * A dependency still waiting in the queue rules a task out.
   */
  upcoming(limit: number): UpcomingRow[] {
    return this.#db.all<UpcomingRow>(UPCOMING_SQL, limit);
  }

  /** Plans with a blocked brain GPU task. */
  plansWithBrainWork(): string[] {
    return this.#db.values<string>(BRAIN_PLANS_SQL);
  }

  /** How many tasks a plan has. */
  planSize(planId: string): number {
    return this.#db.value<number>('SELECT count(*) FROM tasks WHERE plan_id = ?', planId) ?? 0;
  }

  /** A plan's graph: its tasks (without resource tasks) in plan order, with lease times, and its edges. */
  planDag(planId: string): { tasks: PlanDagRow[]; deps: DepRow[] } {
    return { tasks: this.#db.all<PlanDagRow>(PLAN_DAG_SQL, planId), deps: this.#db.all<DepRow>(PLAN_DEPS_SQL, planId) };
  }
}
