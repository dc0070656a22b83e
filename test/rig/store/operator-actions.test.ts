import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { reopenDependents, retryTask } from '../../../rig/src/store/operator-actions.js';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

/** Where these tests' transitions announce: nowhere (test/rig/store/transition-events.test.ts checks what). */
const quiet = { emit: () => undefined };
import { readRows } from '../../helpers/read-db.js';

let dir: string;
let store: Store;
let transitions: Transitions;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-actions-'));
  store = new Store(join(dir, 'state.db'), { ...systemRuntime, now: () => 1_000_000 });
  transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const task = (name: string, depends_on: string[] = []): NewTask => ({
  name,
  type: 'shell',
  command: 'true',
  task_class: 'cpu',
  executor: 'worker',
  depends_on,
  priority: 5,
  max_retries: 0,
  timeout_s: 10,
  requires_external: false,
  sensitive: false,
});
const failed = {
  outcome: 'failed',
  return_code: 1,
  signal: null,
  elapsed_seconds: 0.1,
  output_lines: 0,
  error_snippet: 'boom',
} as const;

function fail(id: string): void {
  transitions.lease(id, 'w1');
  transitions.finish(id, 1, failed, 'w1');
}
const statuses = () =>
  Object.fromEntries(
    readRows<{ task_id: string; status: string }>(
      join(dir, 'state.db'),
      'SELECT task_id, status FROM tasks ORDER BY task_id',
    ).map((row) => [row.task_id, row.status]),
  );

describe('retryTask', () => {
  it('readies a failed task and blocks again the dependents it failed; the plan runs again', () => {
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a'), task('b', ['a']), task('c', ['b'])],
    });
    fail('p.a');
    expect(store.plan('p')?.state).toBe('failed');
    expect(retryTask(store, transitions, 'p.a')).toEqual({ requeued: ['p.a'], reset: ['p.a', 'p.b', 'p.c'] });
    // p.a is ready (blocked, nothing pending) for the brain to release into the queue.
    expect(statuses()).toEqual({ 'p.a': 'blocked', 'p.b': 'blocked', 'p.c': 'blocked' });
    expect([store.task('p.a')?.pending_deps, store.task('p.b')?.pending_deps]).toEqual([0, 1]);
    expect(store.plan('p')?.state).toBe('running');
  });

  it('leaves failed a dependent that another failed task would keep blocked for ever, and what hangs on it', () => {
    // d needs a and b; both fail (d is failed because of a, the first). Retrying a alone cannot run d: b is still
    // failed.
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a'), task('b'), task('d', ['a', 'b']), task('e', ['d']), task('f', ['a'])],
    });
    fail('p.a');
    fail('p.b');
    expect(store.task('p.d')?.cause).toBe('upstream_failed: a');
    expect(retryTask(store, transitions, 'p.a')).toEqual({ requeued: ['p.a'], reset: ['p.a', 'p.f'] });
    expect(statuses()).toEqual({
      'p.a': 'blocked',
      'p.b': 'failed',
      'p.d': 'failed',
      'p.e': 'failed',
      'p.f': 'blocked',
    });
  });

  it('keeps a diamond whose both sides hang on the retried task, whatever order it meets them in', () => {
    // a -> b -> d and a -> x -> c -> d: d is met through b before c is known to be reset.
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a'), task('b', ['a']), task('x', ['a']), task('c', ['x']), task('d', ['b', 'c'])],
    });
    fail('p.a');
    const result = retryTask(store, transitions, 'p.a');
    expect('reset' in result && [...result.reset].sort()).toEqual(['p.a', 'p.b', 'p.c', 'p.d', 'p.x']);
    expect(statuses()).toEqual({
      'p.a': 'blocked',
      'p.b': 'blocked',
      'p.c': 'blocked',
      'p.d': 'blocked',
      'p.x': 'blocked',
    });
  });

  it('refuses, as values, a task that is not there or not finished badly', () => {
    store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
    expect(retryTask(store, transitions, 'p.zz')).toEqual({ code: 'not_found', message: "no task 'p.zz'" });
    expect(retryTask(store, transitions, 'p.a')).toMatchObject({
      code: 'not_retryable',
      message: "task 'p.a' is queued; only failed or canceled tasks can be retried",
    });
  });
});

describe('reopenDependents', () => {
  it('blocks again the dependents a failed task failed, leaves the task to the caller, reopens the plan', () => {
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a'), task('b', ['a'])],
    });
    fail('p.a');
    const root = store.task('p.a');
    if (root === undefined) throw new Error('no task p.a');
    expect(reopenDependents(store, transitions, root)).toEqual(['p.b']);
    expect(statuses()).toEqual({ 'p.a': 'failed', 'p.b': 'blocked' });
    expect(store.task('p.a')?.finished_at).toBeNull();
    expect(store.task('p.b')?.pending_deps).toBe(1);
    expect(store.plan('p')?.state).toBe('running');
    expect(store.attempts('p.a')).toHaveLength(1);
  });
});
