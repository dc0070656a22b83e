/** DDL of gateway.db. Money is integer micro-USD so sums and cap checks are exact. */
export const GATEWAY_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS rigs (
  rig_id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE IF NOT EXISTS nonces (
  rig_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (rig_id, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_by_time ON nonces(seen_at);

CREATE TABLE IF NOT EXISTS escalations (
  id TEXT PRIMARY KEY,
  rig_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  model TEXT NOT NULL,
  max_tokens INTEGER NOT NULL,
  response TEXT,
  deliveries INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  idempotency_key TEXT
);
CREATE INDEX IF NOT EXISTS escalations_due ON escalations(state, next_attempt_at);

CREATE TABLE IF NOT EXISTS reservations (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  day TEXT NOT NULL,
  month TEXT NOT NULL,
  rig_id TEXT NOT NULL,
  escalation_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  model TEXT NOT NULL,
  price_version TEXT NOT NULL,
  micro_usd INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  day TEXT NOT NULL,
  month TEXT NOT NULL,
  rig_id TEXT NOT NULL,
  escalation_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_write_5m_tokens INTEGER NOT NULL,
  cache_write_1h_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  price_version TEXT NOT NULL,
  micro_usd INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  outcome TEXT NOT NULL,
  http_status INTEGER,
  request_id TEXT
);
CREATE INDEX IF NOT EXISTS ledger_by_day ON ledger(day);
-- Reports select by day; budget checks read the spend table. An index by month served no query and cost every
-- upstream call one more page written; databases made before this drop it.
DROP INDEX IF EXISTS ledger_by_month;

-- Spend per UTC day and rig: settled ledger rows plus open reservations, kept in step with both inside the
-- ledger's own transactions, so a budget check reads at most a month of days instead of every call of the
-- month. Derived data: the gateway rebuilds it from ledger and reservations whenever it starts.
CREATE TABLE IF NOT EXISTS spend (
  day TEXT NOT NULL,
  month TEXT NOT NULL,
  rig_id TEXT NOT NULL,
  micro_usd INTEGER NOT NULL,
  PRIMARY KEY (day, rig_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spend_by_month ON spend(month);

CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
`;

/** Columns added after a table first shipped: added to older databases when they are opened. */
export const GATEWAY_ADDED_COLUMNS: readonly {
  readonly table: string;
  readonly column: string;
  readonly ddl: string;
}[] = [
  { table: 'escalations', column: 'idempotency_key', ddl: 'ALTER TABLE escalations ADD COLUMN idempotency_key TEXT' },
  // Why a call was made: 'advice' (the escalation's call) or 'repair' (the one retry of an unusable tool input).
  { table: 'ledger', column: 'purpose', ddl: "ALTER TABLE ledger ADD COLUMN purpose TEXT NOT NULL DEFAULT 'advice'" },
];

/** DDL that needs the added columns, so it runs after them. */
export const GATEWAY_SCHEMA_AFTER_COLUMNS_SQL = `
-- One escalation per rig and idempotency key: a resend of a handoff finds the escalation it already made.
CREATE UNIQUE INDEX IF NOT EXISTS escalations_by_key ON escalations(rig_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
`;

/**
 * Schema version written to meta; bumped with a migration when the DDL changes (2: escalations.idempotency_key, 3:
 * ledger.purpose).
 */
export const GATEWAY_SCHEMA_VERSION = 3;
