/**
 * The brain's durable state. SQLite in WAL mode is the source of truth: the in-memory ready queue
 * is rebuilt from it on every start.
 */
export const SCHEMA_VERSION = 1;

/** Columns added after a table first shipped: added in place to databases that lack them. */
export const ADDED_COLUMNS: readonly { table: string; column: string; ddl: string }[] = [
  { table: 'attempts', column: 'tokens_per_second', ddl: 'ALTER TABLE attempts ADD COLUMN tokens_per_second REAL' },
  { table: 'tasks', column: 'preemptions', ddl: 'ALTER TABLE tasks ADD COLUMN preemptions INTEGER NOT NULL DEFAULT 0' },
  // A handoff being sent when the rig is upgraded gets its key here, so its resends share one.
  {
    table: 'escalations',
    column: 'idempotency_key',
    ddl:
      'ALTER TABLE escalations ADD COLUMN idempotency_key TEXT; UPDATE escalations SET idempotency_key = ' +
      "'handoff-' || lower(hex(randomblob(16)))",
  },
  { table: 'escalations', column: 'handoff', ddl: 'ALTER TABLE escalations ADD COLUMN handoff TEXT' },
  { table: 'tasks', column: 'lost_leases', ddl: 'ALTER TABLE tasks ADD COLUMN lost_leases INTEGER NOT NULL DEFAULT 0' },
  { table: 'tasks', column: 'io', ddl: 'ALTER TABLE tasks ADD COLUMN io TEXT' },
  { table: 'tasks', column: 'judgement', ddl: 'ALTER TABLE tasks ADD COLUMN judgement TEXT' },
];

/** DDL for a fresh database. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS plans (
  plan_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT,
  notes TEXT,
  source TEXT NOT NULL,
  allow_external_sensitive INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  finished_at TEXT
);

CREATE TABLE IF NOT EXISTS tasks (
  task_id TEXT PRIMARY KEY,
  plan_id TEXT NOT NULL REFERENCES plans(plan_id),
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  command TEXT,
  prompt TEXT,
  model TEXT,
  task_class TEXT NOT NULL,
  executor TEXT NOT NULL,
  depends_on TEXT NOT NULL,
  priority INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retry_count INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL,
  timeout_s REAL NOT NULL,
  estimate_s REAL,
  vram_mb INTEGER,
  requires_external INTEGER NOT NULL,
  sensitive INTEGER NOT NULL,
  source TEXT NOT NULL,
  fix_applied TEXT,
  cwd TEXT,
  env TEXT,
  io TEXT,
  pending_deps INTEGER NOT NULL,
  queued_at INTEGER,
  next_attempt_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  cause TEXT,
  output TEXT,
  finished_at TEXT,
  preemptions INTEGER NOT NULL DEFAULT 0,
  lost_leases INTEGER NOT NULL DEFAULT 0,
  judgement TEXT,
  UNIQUE (plan_id, name)
);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks(status);
CREATE INDEX IF NOT EXISTS tasks_by_plan_status ON tasks(plan_id, status);
-- A plan's tasks in plan order, a page at a time (status of a plan of 100,000 tasks).
CREATE INDEX IF NOT EXISTS tasks_by_plan_seq ON tasks(plan_id, seq);
-- Plans with brain work ahead, asked every second by the live scheduler: the few blocked brain tasks, not every
-- blocked task of a big plan.
CREATE INDEX IF NOT EXISTS tasks_brain_blocked ON tasks(plan_id) WHERE status = 'blocked' AND executor = 'brain';

CREATE TABLE IF NOT EXISTS deps (
  task_id TEXT NOT NULL,
  needs_task_id TEXT NOT NULL,
  PRIMARY KEY (needs_task_id, task_id)
) WITHOUT ROWID;

-- The live scheduler looks up a blocked task's dependencies (the primary key serves the other direction).
CREATE INDEX IF NOT EXISTS deps_by_task ON deps(task_id);

CREATE TABLE IF NOT EXISTS attempts (
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  worker_id TEXT,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  outcome TEXT,
  return_code INTEGER,
  signal TEXT,
  elapsed_seconds REAL,
  output_lines INTEGER,
  error_snippet TEXT,
  stdout_path TEXT,
  stderr_path TEXT,
  tokens_generated INTEGER,
  tokens_per_second REAL,
  simulated INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, attempt)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS leases (
  task_id TEXT PRIMARY KEY,
  attempt INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  leased_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts TEXT NOT NULL,
  event_type TEXT NOT NULL,
  plan_id TEXT,
  task_id TEXT,
  body TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS escalations (
  task_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  state TEXT NOT NULL,
  escalation_id TEXT,
  idempotency_key TEXT,
  handoff TEXT,
  tries INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  detail TEXT,
  updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS workers (
  worker_id TEXT PRIMARY KEY,
  info TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL
);
`;

/**
 * Per-worker totals kept by a trigger as each attempt ends, so that `status` reads one row per worker instead of
 * aggregating every attempt the rig ever ran (a scan that grows with the rig's history, on every status request).
 * Applied after ADDED_COLUMNS (it reads tokens_per_second); a database from before it is counted once, here.
 */
export const DERIVED_SQL = `
CREATE TABLE IF NOT EXISTS worker_stats (
  worker_id TEXT PRIMARY KEY,
  completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  tps_sum REAL NOT NULL DEFAULT 0,
  tps_n INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER IF NOT EXISTS attempts_count_outcome AFTER UPDATE OF outcome ON attempts
WHEN OLD.outcome IS NULL AND NEW.outcome IS NOT NULL AND NEW.worker_id IS NOT NULL
BEGIN
  INSERT INTO worker_stats (worker_id, completed, failed, tps_sum, tps_n)
  VALUES (NEW.worker_id, NEW.outcome = 'completed', NEW.outcome IN ('failed', 'timeout', 'error'),
          coalesce(NEW.tokens_per_second, 0), NEW.tokens_per_second IS NOT NULL)
  ON CONFLICT (worker_id) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed,
    tps_sum = tps_sum + excluded.tps_sum, tps_n = tps_n + excluded.tps_n;
END;
`;

/** Counts a database's past attempts into worker_stats, the one time it is created. */
export const BACKFILL_WORKER_STATS_SQL = `
INSERT INTO worker_stats (worker_id, completed, failed, tps_sum, tps_n)
SELECT worker_id, sum(outcome = 'completed'), sum(outcome IN ('failed', 'timeout', 'error')),
       coalesce(sum(tokens_per_second), 0), count(tokens_per_second)
FROM attempts WHERE worker_id IS NOT NULL AND outcome IS NOT NULL GROUP BY worker_id
`;
