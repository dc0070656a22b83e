import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { RigProfile } from '@rigmind/protocol';

/** A model's load time as the rig measured it: the mean of its real loads (simulated ones are left out). */
export interface MeasuredLoad {
  readonly meanS: number;
  readonly samples: number;
}

/**
 * Load times measured on the rig, from the brain's event log (`model_loaded` events carry the card manager's
 * measured `duration_ms`). An absent or empty database measures nothing.
 */
export function measuredLoadTimes(dbPath: string): Map<string, MeasuredLoad> {
  const out = new Map<string, MeasuredLoad>();
  if (!existsSync(dbPath)) return out;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT json_extract(body, '$.detail.model') AS model, avg(json_extract(body, '$.duration_ms')) AS mean_ms, count(*) AS n
         FROM events
         WHERE event_type = 'model_loaded' AND json_extract(body, '$.duration_ms') IS NOT NULL
           AND json_extract(body, '$.detail.model') IS NOT NULL AND coalesce(json_extract(body, '$.detail.simulated'), 0) = 0
         GROUP BY model`,
      )
      .all() as { model: string; mean_ms: number; n: number }[];
    for (const row of rows) out.set(row.model, { meanS: row.mean_ms / 1000, samples: row.n });
  } finally {
    db.close();
  }
  return out;
}

/** The profile with measured load times in place of its estimates, for the models it knows. */
export function withMeasuredLoads(profile: RigProfile, measured: ReadonlyMap<string, MeasuredLoad>): { profile: RigProfile; replaced: string[] } {
  const models = { ...profile.models };
  const replaced: string[] = [];
  for (const [name, load] of measured) {
    const model = models[name];
    if (model === undefined) continue;
    models[name] = { ...model, load_s: load.meanS };
    replaced.push(`${name}: ${model.load_s}s -> ${load.meanS.toFixed(1)}s (${load.samples} load${load.samples === 1 ? '' : 's'})`);
  }
  return { profile: { ...profile, models }, replaced };
}
