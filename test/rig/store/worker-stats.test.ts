import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

/** Where these tests' transitions announce: nowhere (test/rig/store/transition-events.test.ts checks what). */
const quiet = { emit: () => undefined };
import { readRows } from '../../helpers/read-db.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-stats-'));
  path = join(dir, 'state.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const task = (name: string): NewTask => ({
  name,
  type: 'shell',
  command: 'true',
  task_class: 'cpu',
  executor: 'worker',
  depends_on: [],
  priority: 5,
  max_retries: 0,
  timeout_s: 10,
  requires_external: false,
  sensitive: false,
});
const result = (outcome: 'completed' | 'failed' | 'timeout', tps?: number) => ({
  outcome,
  return_code: outcome === 'completed' ? 0 : 1,
  signal: null,
  elapsed_seconds: 0.1,
  output_lines: 0,
  error_snippet: '',
  ...(tps !== undefined ? { tokens_per_second: tps } : {}),
});

/** What status used to compute from every attempt: the reference the kept totals must equal. */
const AGGREGATE = `SELECT worker_id, avg(tokens_per_second) AS tps, sum(outcome = 'completed') AS completed,
  sum(outcome IN ('failed', 'timeout', 'error')) AS failed FROM attempts WHERE worker_id IS NOT NULL
    GROUP BY worker_id ORDER BY worker_id`;
const KEPT =
  `SELECT worker_id, CASE WHEN tps_n > 0 THEN tps_sum / tps_n END AS tps, completed, failed FROM ` +
  `worker_stats ORDER BY worker_id`;

/**
 * Attempts ending every way an attempt can: completed (with and without tokens/s), failed, timed out, lost, preempted.
 */
function runHistory(store: Store): void {
  const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
  store.insertPlan({
    plan_id: 'p',
    name: 'p',
    source: 't',
    allow_external_sensitive: false,
    tasks: ['a', 'b', 'c', 'd', 'e', 'f'].map(task),
  });
  transitions.lease('p.a', 'w1');
  transitions.finish('p.a', 1, result('completed', 20), 'w1');
  transitions.lease('p.b', 'w1');
  transitions.finish('p.b', 1, result('completed', 30), 'w1');
  transitions.lease('p.c', 'w1');
  transitions.finish('p.c', 1, result('failed'), 'w1');
  transitions.lease('p.d', 'w2');
  transitions.finish('p.d', 1, result('timeout'), 'w2');
  transitions.lease('p.e', 'w2');
  transitions.loseLease('p.e', 'worker w2 died', 3);
  transitions.lease('p.f', 'w2');
  transitions.preempt('p.f', 'preempted for urgent work');
}

describe('worker totals for status', () => {
  it('are kept as attempts end, equal to aggregating every attempt', () => {
    const store = new Store(path, { ...systemRuntime, now: () => 1_000 });
    runHistory(store);
    const kept = readRows(path, KEPT);
    expect(kept).toEqual(readRows(path, AGGREGATE));
    expect(kept).toEqual([
      { worker_id: 'w1', tps: 25, completed: 2, failed: 1 },
      { worker_id: 'w2', tps: null, completed: 0, failed: 2 },
    ]);
    store.close();
  });

  it('are counted once from the attempts of a database that predates them', () => {
    const first = new Store(path, { ...systemRuntime, now: () => 1_000 });
    runHistory(first);
    first.close();
    const old = new Database(path);
    old.exec('DROP TRIGGER attempts_count_outcome; DROP TABLE worker_stats;');
    old.close();
    const reopened = new Store(path, { ...systemRuntime, now: () => 2_000 });
    expect(readRows(path, KEPT)).toEqual(readRows(path, AGGREGATE));
    reopened.close();
    // And not again on the next start.
    const again = new Store(path, { ...systemRuntime, now: () => 3_000 });
    expect(readRows(path, KEPT)).toEqual(readRows(path, AGGREGATE));
    again.close();
  });
});
