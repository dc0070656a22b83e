import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAG_HOT_SQL } from '../../../rig/src/store/dag-queries.js';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

// The live scheduler asks these every pump or second: on a big plan they must look at the work in flight and the
// brain's few tasks, not walk every blocked task (issue 18: dispatch on a 10,000-task plan no slower than on 100).
// Timing would be noise on a shared machine; SQLite's plan says which rows a query walks.

const task = (name: string, depends_on: string[] = [], executor: 'worker' | 'brain' = 'worker'): NewTask => ({
  name,
  type: executor === 'brain' ? 'llm' : 'shell',
  ...(executor === 'brain' ? { prompt: 'sum up' } : { command: 'python ocr.py' }),
  task_class: executor === 'brain' ? 'llm' : 'script',
  ...(executor === 'brain' ? {} : { model: 'easyocr' }),
  executor,
  depends_on,
  priority: 5,
  max_retries: 3,
  timeout_s: 10,
  requires_external: false,
  sensitive: false,
});

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-dag-'));
  store = new Store(join(dir, 'state.db'), { now: () => 1_000_000, random: () => 0.5, id: () => 'id' });
  // 2,000 OCR pages, each followed by an embedding-like step, and one brain summary after the last pair.
  const tasks = Array.from({ length: 2_000 }, (_, i) => (i % 2 === 1 ? task(`e${i}`, [`o${i - 1}`]) : task(`o${i}`)));
  tasks.push(task('summary', ['e1999'], 'brain'));
  store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string, ...params: unknown[]): string {
  const db = new Database(join(dir, 'state.db'), { readonly: true });
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((row) => row.detail).join('\n');
  } finally {
    db.close();
  }
}

describe("the look-ahead's queries", () => {
  it('find the dependents of running work, and the plans with brain work ahead', () => {
    new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, { emit: () => undefined }).lease('p.o4', 'w1');
    expect(store.dag.upcoming(256).map((row) => row.task_id)).toEqual(['p.e5']);
    expect(store.dag.plansWithBrainWork()).toEqual(['p']);
  });

  it('start from the running tasks, not from every blocked task', () => {
    const upcoming = plan(DAG_HOT_SQL.upcoming, 256);
    // The outer rows come from the running tasks (the status index, searched for leased and running), and each
    // dependent is then found by its primary key: no search of `t`, the blocked tasks, by status.
    expect(upcoming).toMatch(/SEARCH t USING INDEX sqlite_autoindex_tasks_1 \(task_id=\?\)/);
    expect(upcoming).not.toMatch(/SEARCH t USING INDEX tasks_by_status/);
  });

  it("read the brain's blocked tasks from their own index", () => {
    const brainPlans = plan(DAG_HOT_SQL.brainPlans);
    expect(brainPlans).toMatch(/tasks_brain_blocked/);
    expect(brainPlans).not.toMatch(/tasks_by_status/);
  });
});
