import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Connection } from './connection.js';

/** A model's load time as the rig measured it: the mean of its real loads (simulated ones are left out). */
export interface MeasuredLoad {
  readonly meanS: number;
  readonly samples: number;
}

// `model_loaded` events carry the card manager's measured `duration_ms`; simulated loads measure nothing real.
const LOADS_SQL = `SELECT json_extract(body, '$.detail.model') AS model, avg(json_extract(body,
  '$.duration_ms')) AS mean_ms,
    count(*) AS n
  FROM events
  WHERE event_type = 'model_loaded' AND json_extract(body, '$.duration_ms') IS NOT NULL
    AND json_extract(body, '$.detail.model') IS NOT NULL AND coalesce(json_extract(body, '$.detail.simulated'), 0) = 0
  GROUP BY model`;

type LoadRow = { model: string; mean_ms: number; n: number };

function byModel(rows: readonly LoadRow[]): Map<string, MeasuredLoad> {
  return new Map(rows.map((row) => [row.model, { meanS: row.mean_ms / 1000, samples: row.n }]));
}

/** Load times measured on the rig, from the brain's event log, on the store's connection. */
export function measuredLoads(db: Connection): Map<string, MeasuredLoad> {
  return byModel(db.all<LoadRow>(LOADS_SQL));
}

/**
 * Load times measured by the rig whose state database is at `dbPath`, for a command that runs no brain (`simulate
 * --measured`): read-only, so it neither creates a database nor changes one a brain is using. None if absent.
 */
export function readMeasuredLoads(dbPath: string): Map<string, MeasuredLoad> {
  if (!existsSync(dbPath)) return new Map();
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return byModel(db.prepare<[], LoadRow>(LOADS_SQL).all());
  } finally {
    db.close();
  }
}
