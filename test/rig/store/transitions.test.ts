import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../rig/src/store/backoff.js';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

/** Where these tests' transitions announce: nowhere (test/rig/store/transition-events.test.ts checks what). */
const quiet = { emit: () => undefined };

let dir: string;
let store: Store;
let now: number;
/** The backoff's jitter draw: the store's runtime is the state machine's random source. */
let draw: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-store-'));
  now = 1_000_000;
  draw = 0.5;
  store = new Store(join(dir, 'state.db'), { now: () => now, random: () => draw, id: () => 'id' });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const task = (name: string, depends_on: string[] = [], max_retries = 3): NewTask => ({
  name,
  type: 'shell',
  command: 'true',
  task_class: 'cpu',
  executor: 'worker',
  depends_on,
  priority: 5,
  max_retries,
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
const ok = { ...failed, outcome: 'completed', return_code: 0, error_snippet: '' } as const;

describe('backoff', () => {
  it('is exponential with full jitter, capped', () => {
    const policy = { base_ms: 1_000, cap_ms: 10_000 };
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(999);
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(2_000);
    expect(backoffDelay(policy, 10, () => 0.999)).toBe(9_990);
    expect(backoffDelay(policy, 4, () => 0)).toBe(0);
  });
});

describe('Transitions', () => {
  it('leases once, ignores a stale or duplicate result, and releases dependents on completion', () => {
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a'), task('b', ['a'])],
    });
    const transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, quiet);
    const lease = transitions.lease('p.a', 'w1');
    expect(lease?.attempt).toBe(1);
    expect(transitions.lease('p.a', 'w2')).toBeUndefined();
    expect(transitions.finish('p.a', 2, ok, 'w1')).toEqual({ kind: 'stale' });
    expect(transitions.finish('p.a', 1, ok, 'w1')).toEqual({ kind: 'completed', released: ['p.b'] });
    expect(transitions.finish('p.a', 1, ok, 'w1')).toEqual({ kind: 'stale' });
    // Ready, not queued: the brain releases it (queued, announced) when it takes it in.
    const ready = store.task('p.b');
    expect(ready).toMatchObject({ status: 'blocked', pending_deps: 0, queued_at: now });
    if (ready === undefined) throw new Error('no task p.b');
    expect(transitions.release(ready)).toMatchObject({ status: 'queued' });
    expect(store.task('p.b')?.status).toBe('queued');
    expect(transitions.release(ready)).toBeUndefined();
  });

  it('backs off a failed attempt, fails after max_retries with the history, and cascades', () => {
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a', [], 1), task('b', ['a']), task('c', ['b'])],
    });
    const transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, quiet);
    transitions.lease('p.a', 'w1');
    expect(transitions.finish('p.a', 1, failed, 'w1')).toEqual({
      kind: 'retry',
      delay_ms: 500,
      next_attempt_at: now + 500,
      requeued: false,
    });
    expect(store.task('p.a')).toMatchObject({ status: 'retry_wait', retry_count: 1, cause: 'exit code 1' });
    now += 500;
    expect(transitions.requeue('p.a')).toMatchObject({ status: 'queued', queued_at: now });
    transitions.lease('p.a', 'w1');
    const effect = transitions.finish('p.a', 2, failed, 'w1');
    expect(effect).toMatchObject({
      kind: 'failed',
      cause: 'exit code 1 (after 2 attempts)',
      cascaded: ['p.b', 'p.c'],
      plan: { plan_id: 'p', state: 'failed' },
    });
    expect(store.task('p.c')).toMatchObject({ status: 'failed', cause: 'upstream_failed: a' });
    expect(store.attempts('p.a').map((a) => a.outcome)).toEqual(['failed', 'failed']);
  });

  it('schedules the retry of a failed attempt even when full jitter draws 0 ms', () => {
    store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
    draw = 0;
    const transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, quiet);
    transitions.lease('p.a', 'w1');
    expect(transitions.finish('p.a', 1, failed, 'w1')).toEqual({
      kind: 'retry',
      delay_ms: 0,
      next_attempt_at: now,
      requeued: false,
    });
    expect(store.task('p.a')).toMatchObject({ status: 'retry_wait', retry_count: 1, next_attempt_at: now });
    expect(transitions.requeue('p.a')).toMatchObject({ status: 'queued' });
    expect(store.task('p.a')?.status).toBe('queued');
  });

  it('puts a lost lease straight back in the queue, without using a retry', () => {
    store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
    const transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, quiet);
    transitions.lease('p.a', 'w1');
    const requeued = { kind: 'retry', delay_ms: 0, next_attempt_at: now, requeued: true };
    expect(transitions.loseLease('p.a', 'worker w1 silent', 3)).toEqual(requeued);
    expect(store.task('p.a')).toMatchObject({ status: 'queued', retry_count: 0, lost_leases: 1 });
    expect(store.leases()).toEqual([]);
  });

  it('fails a task that lost its worker more than max_lost_leases times, saying so', () => {
    store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
    const transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, quiet);
    for (let lost = 1; lost <= 2; lost += 1) {
      transitions.lease('p.a', 'w1');
      expect(transitions.loseLease('p.a', 'worker w1 silent', 2)).toMatchObject({ kind: 'retry', requeued: true });
    }
    transitions.lease('p.a', 'w1');
    const effect = transitions.loseLease('p.a', 'worker w1 silent', 2);
    const cause = 'worker w1 silent (lost its worker 3 times; max_lost_leases is 2)';
    expect(effect).toMatchObject({ kind: 'failed', cause });
    expect(store.task('p.a')).toMatchObject({ status: 'failed', retry_count: 0, lost_leases: 3, attempts: 3 });
  });

  it('lets only the worker holding the lease finish it', () => {
    store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
    const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
    transitions.lease('p.a', 'w1');
    expect(transitions.markRunning('p.a', 1, 'evil', {})).toBeUndefined();
    expect(transitions.finish('p.a', 1, ok, 'evil')).toEqual({ kind: 'stale' });
    expect(store.task('p.a')?.status).toBe('leased');
    expect(transitions.finish('p.a', 1, ok, 'w1')).toMatchObject({ kind: 'completed' });
  });
});

describe('Transitions for the scheduler', () => {
  it(
    'preempt: the attempt ends canceled, the task is queued again in its old place, counted, with its retries ' +
      'intact',
    () => {
      const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
      store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
      const queuedAt = store.task('p.a')?.queued_at;
      now += 5_000;
      transitions.lease('p.a', 'w1');
      expect(transitions.preempt('p.a', 'preempted for urgent work')).toMatchObject({
        attempt: 1,
        worker_id: 'w1',
        row: { status: 'queued', preemptions: 1 },
      });
      expect(store.task('p.a')).toMatchObject({
        status: 'queued',
        preemptions: 1,
        retry_count: 0,
        queued_at: queuedAt,
      });
      const [attempt] = store.attempts('p.a');
      expect({ outcome: attempt?.outcome, error_snippet: attempt?.error_snippet }).toEqual({
        outcome: 'canceled',
        error_snippet: 'preempted for urgent work',
      });
      // The preempted attempt's late result is stale; nothing is leased any more to preempt.
      expect(transitions.finish('p.a', 1, ok, 'w1')).toEqual({ kind: 'stale' });
      expect(transitions.preempt('p.a', 'again')).toBeUndefined();
      expect(transitions.lease('p.a', 'w2')?.attempt).toBe(2);
    },
  );

  it("a plan's outcome is its own tasks': a failed resource task does not fail it", () => {
    const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
    store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks: [task('a')] });
    const load: NewTask = {
      ...task('load_llm.gpu1.qwen2.5:7b.1'),
      type: 'llm',
      command: 'load_llm',
      model: 'qwen2.5:7b',
      task_class: 'resource',
      priority: 10,
      max_retries: 0,
    };
    store.insertTasks('p', [load], new Map([[load.name, 'p.load']]), 'brain', 1);
    transitions.lease('p.load', 'w1');
    transitions.lease('p.a', 'w1');
    expect(transitions.finish('p.load', 1, failed, 'w1')).toMatchObject({ kind: 'failed' });
    expect(transitions.finish('p.a', 1, ok, 'w1')).toMatchObject({
      kind: 'completed',
      plan: { plan_id: 'p', state: 'completed' },
    });
  });

  it("fails a task its own files failed at once, no retry, and keeps a sensitive task's error out of events", () => {
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a'), task('b', ['a']), { ...task('s'), sensitive: true, max_retries: 0 }],
    });
    const said: Record<string, unknown>[] = [];
    const transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, { emit: (e) => said.push(e) });
    transitions.lease('p.a', 'w1');
    const missing = {
      ...failed,
      return_code: null,
      failure_code: 'input_missing' as const,
      error_snippet: "input 'doc': /x",
    };
    expect(transitions.finish('p.a', 1, missing, 'w1')).toMatchObject({ kind: 'failed', cascaded: ['p.b'] });
    expect(store.task('p.a')).toMatchObject({
      status: 'failed',
      retry_count: 0,
      cause: "input_missing: input 'doc': /x",
    });
    transitions.lease('p.s', 'w1');
    transitions.finish('p.s', 1, { ...failed, error_snippet: 'the secret is 42' }, 'w1');
    const events = JSON.stringify(said);
    expect(events).not.toContain('the secret is 42');
    expect(said.filter((e) => e['task_id'] === 'p.s' && e['event_type'] === 'task_failed')).toHaveLength(1);
  });
});
