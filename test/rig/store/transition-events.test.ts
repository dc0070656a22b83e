import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptResult } from '@rigmind/protocol';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import type { EventInput } from '../../../rig/src/store/task-events.js';
import { Transitions } from '../../../rig/src/store/transitions.js';
import { readRows } from '../../helpers/read-db.js';

// Issue 16: every change of a task's status goes through the state machine, which announces it itself. Each
// transition is driven here on a real store; whatever task's status it changed must be in what it announced.

let dir: string;
let store: Store;
let now: number;
let heard: EventInput[];
let transitions: Transitions;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-transition-events-'));
  now = 1_000_000;
  heard = [];
  store = new Store(join(dir, 'state.db'), { now: () => now, random: () => 0.5, id: () => 'id' });
  transitions = new Transitions(store, { base_ms: 1_000, cap_ms: 8_000 }, { emit: (event) => heard.push(event) });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const task = (name: string, depends_on: string[] = [], more: Partial<NewTask> = {}): NewTask => ({
  name,
  type: 'shell',
  command: 'true',
  task_class: 'cpu',
  executor: 'worker',
  depends_on,
  priority: 5,
  max_retries: 1,
  timeout_s: 10,
  requires_external: false,
  sensitive: false,
  ...more,
});
const failed: AttemptResult = {
  outcome: 'failed',
  return_code: 1,
  signal: null,
  elapsed_seconds: 0.25,
  output_lines: 0,
  error_snippet: 'boom',
};
const ok: AttemptResult = { ...failed, outcome: 'completed', return_code: 0, error_snippet: '', output_lines: 2 };

/** A plan `p` of a chain a <- b <- c and a lone d. */
function plan(more: Partial<NewTask> = {}): void {
  const tasks = [task('a', [], more), task('b', ['a']), task('c', ['b']), task('d')];
  store.insertPlan({ plan_id: 'p', name: 'p', source: 't', allow_external_sensitive: false, tasks });
}

const statuses = (): Map<string, string> =>
  new Map(
    readRows<{ task_id: string; status: string }>(join(dir, 'state.db'), 'SELECT task_id, status FROM tasks').map(
      (row) => [row.task_id, row.status],
    ),
  );

/**
 * Run one transition and return what it announced, checking that every task whose status it changed is in it.
 * A transition called outside a transaction commits at once, so the database shows the change.
 */
function step(run: () => unknown): EventInput[] {
  const before = statuses();
  heard = [];
  run();
  const changed = [...statuses()].filter(([id, status]) => before.get(id) !== status).map(([id]) => id);
  expect(heard.map((event) => event.task_id)).toEqual(expect.arrayContaining(changed));
  return heard;
}
const kinds = (events: EventInput[]) => events.map((event) => `${event.event_type} ${event.task_id}`);
/** An event of plan p about task `name`, with what it says besides: every task event starts so. */
const event = (type: string, name: string, said: object = {}) => ({
  event_type: type,
  plan_id: 'p',
  task_id: `p.${name}`,
  plan_task_id: name,
  ...said,
});

/** How each transition was driven below: a test of one is named after it, so a new one must be added here. */
const DRIVEN = [
  ...'lease markRunning finish loseLease preempt requeue release completeDirectly failDirectly'.split(' '),
  ...'waitExternal waitOn moveToBrain blockOnSubtasks cancelResource cancel restart cascade planFinished'.split(' '),
  ...'judged judgedDefault'.split(' '),
  'atomically',
];

describe('the state machine announces every status change it makes', () => {
  it('drives every transition in this file', () => {
    const methods = Object.getOwnPropertyNames(Transitions.prototype).filter((name) => name !== 'constructor');
    expect([...methods].sort()).toEqual([...DRIVEN].sort());
  });

  it('lease, markRunning, finish (completed): dispatched, started, completed with what the worker reported', () => {
    plan();
    now += 2_000;
    const dispatched = step(() => transitions.lease('p.a', 'w1', { queued_at: now - 500, detail: { why: 'x' } }));
    expect(dispatched).toEqual([
      event('task_dispatched', 'a', { worker_id: 'w1', attempt: 1, duration_ms: 500, detail: { why: 'x' } }),
    ]);
    // Without the ready queue's time, the wait is counted from the row's.
    expect(step(() => transitions.lease('p.d', 'w1'))[0]).toMatchObject({ duration_ms: 2_000 });
    expect(step(() => transitions.markRunning('p.a', 1, 'w1', { pid: 7 }))).toEqual([
      event('task_started', 'a', { worker_id: 'w1', attempt: 1, detail: { pid: 7 } }),
    ]);
    const result = { ...ok, tokens_generated: 9, tokens_per_second: 3 };
    expect(step(() => transitions.finish('p.a', 1, result, 'w1'))).toEqual([
      event('task_completed', 'a', {
        worker_id: 'w1',
        attempt: 1,
        elapsed_seconds: 0.25,
        duration_ms: 250,
        return_code: 0,
        tokens_generated: 9,
        detail: { output_lines: 2, simulated: false, tokens_per_second: 3 },
      }),
    ]);
    // A stale or duplicate result changes nothing and says nothing.
    expect(step(() => transitions.finish('p.a', 1, ok, 'w1'))).toEqual([]);
  });

  it('release: the dependent a completion made ready is queued and announced, once', () => {
    plan();
    transitions.lease('p.a', 'w1');
    expect(transitions.finish('p.a', 1, ok, 'w1')).toMatchObject({ kind: 'completed', released: ['p.b'] });
    const ready = store.task('p.b');
    if (ready === undefined) throw new Error('no p.b');
    expect(kinds(step(() => transitions.release(ready)))).toEqual(['task_released p.b']);
    expect(step(() => transitions.release(ready))).toEqual([]);
    // Subtasks the external tier advised are inserted held (ready), to be released the same way.
    store.insertTasks('p', [task('s1')], new Map([['s1', 'p.s1']]), 'external:gateway', 9, 'held');
    const held = store.task('p.s1');
    expect(held).toMatchObject({ status: 'blocked', pending_deps: 0, queued_at: now });
    if (held === undefined) throw new Error('no p.s1');
    expect(kinds(step(() => transitions.release(held)))).toEqual(['task_released p.s1']);
  });

  it('finish (failed): a retry scheduled while retries last, then the failure and its cascade', () => {
    plan();
    transitions.lease('p.a', 'w1');
    expect(step(() => transitions.finish('p.a', 1, failed, 'w1'))).toEqual([
      event('task_retry_scheduled', 'a', { worker_id: 'w1', attempt: 1, cause: 'exit code 1', duration_ms: 500 }),
    ]);
    now += 500;
    expect(step(() => transitions.requeue('p.a'))).toMatchObject([
      { event_type: 'task_requeued', task_id: 'p.a', cause: 'backoff over' },
    ]);
    transitions.lease('p.a', 'w1');
    const events = step(() => transitions.finish('p.a', 2, failed, 'w1'));
    expect(kinds(events)).toEqual(['task_failed p.a', 'task_failed p.b', 'task_failed p.c']);
    expect(events[0]).toMatchObject({ error: 'boom', cause: 'exit code 1 (after 2 attempts)', return_code: 1 });
    expect(events[2]).toEqual(event('task_failed', 'c', { cause: 'upstream_failed: a' }));
  });

  it('finish: an attempt its worker aborted is announced failed, and a prompt too long is left to the caller', () => {
    plan({ type: 'llm', prompt: 'hi' });
    transitions.lease('p.a', 'w1');
    const aborted = step(() => transitions.finish('p.a', 1, { ...failed, outcome: 'canceled' }, 'w1'));
    expect(aborted).toMatchObject([{ event_type: 'task_failed', task_id: 'p.a', cause: 'canceled' }]);
    transitions.lease('p.d', 'w1');
    const exceeded = { model: 'm', estimated_tokens: 9_000, context_length: 4_096 };
    // Silent: it waits out of the queue, and where it goes next (moveToBrain, the external tier) is announced.
    heard = [];
    expect(transitions.finish('p.d', 1, { ...failed, context_exceeded: exceeded }, 'w1')).toEqual({
      kind: 'too_long',
    });
    expect(heard).toEqual([]);
    expect(kinds(step(() => transitions.moveToBrain('p.d', 'too long; moved')))).toEqual(['task_requeued p.d']);
  });

  it('finish (judging), judged, judgedDefault: judging announced, a judgement announced before its outcome', () => {
    plan({ max_retries: 0 });
    const judging = { maxPerTask: 2 };
    const note = (decision: 'retry' | 'give_up', attempt: number, count: number) => ({
      attempt,
      count,
      decision,
      confidence: 0.9,
      reasoning: 'why',
      outcome: 'applied' as const,
    });
    transitions.lease('p.a', 'w1');
    expect(kinds(step(() => transitions.finish('p.a', 1, failed, 'w1', judging)))).toEqual(['task_judging p.a']);
    expect(store.task('p.a')).toMatchObject({
      status: 'retry_wait',
      next_attempt_at: null,
      cause: 'judging: exit code 1',
    });
    // The model's retry is granted past max_retries (0 here), announced after the judgement that chose it.
    expect(kinds(step(() => transitions.judged('p.a', 1, note('retry', 1, 1), { kind: 'retry' })))).toEqual([
      'task_judged p.a',
      'task_retry_scheduled p.a',
    ]);
    expect(heard[0]).toMatchObject({ detail: { decision: 'retry', reasoning: 'why' } });
    // A judgement for an attempt no longer waiting changes nothing and says nothing.
    expect(step(() => transitions.judged('p.a', 1, note('retry', 1, 2), { kind: 'retry' }))).toEqual([]);
    transitions.requeue('p.a');
    transitions.lease('p.a', 'w1');
    step(() => transitions.finish('p.a', 2, failed, 'w1', judging));
    expect(kinds(step(() => transitions.judged('p.a', 2, note('give_up', 2, 2), { kind: 'escalate' })))).toEqual([
      'task_judged p.a',
    ]);
    // The escalation not taken: the rules' default, failed (no retries left) with its cascade.
    expect(kinds(step(() => transitions.judgedDefault('p.a', 2)))).toEqual([
      'task_failed p.a',
      'task_failed p.b',
      'task_failed p.c',
    ]);
    // Two judgements used up (max_per_task 2): the next failure is the rules' alone.
    transitions.restart('p', ['p.a']);
    store.transaction(() => {
      const row = store.task('p.a');
      if (row !== undefined) transitions.release(row);
    });
    transitions.lease('p.a', 'w1');
    expect(transitions.finish('p.a', 3, failed, 'w1', judging).kind).not.toBe('judging');
  });

  it("judged: a sensitive task's judgement is announced without its reasoning or error, and kept on the task", () => {
    plan({ max_retries: 0, sensitive: true });
    transitions.lease('p.a', 'w1');
    const judging = step(() =>
      transitions.finish('p.a', 1, { ...failed, error_snippet: 'SECRET-1' }, 'w1', { maxPerTask: 1 }),
    );
    expect(JSON.stringify(judging)).not.toContain('SECRET-1');
    const note = {
      attempt: 1,
      count: 1,
      decision: 'give_up' as const,
      confidence: 0.9,
      reasoning: 'SECRET-1 is gone',
      outcome: 'applied' as const,
    };
    const said = step(() => transitions.judged('p.a', 1, note, { kind: 'give_up', reason: 'SECRET-1 gone' }));
    expect(JSON.stringify(said)).not.toContain('SECRET-1');
    expect(said[0]).toMatchObject({ event_type: 'task_judged', detail: { reasoning: '[withheld: sensitive task]' } });
    expect(store.task('p.a')?.judgement).toContain('SECRET-1 is gone');
  });

  it('loseLease: requeued with the worker and attempt, and past the cap failed with its cascade', () => {
    plan();
    transitions.lease('p.a', 'w1');
    expect(step(() => transitions.loseLease('p.a', 'worker w1 silent', 1))).toEqual([
      event('task_requeued', 'a', { worker_id: 'w1', attempt: 1, cause: 'worker w1 silent' }),
    ]);
    transitions.lease('p.a', 'w2');
    const events = step(() => transitions.loseLease('p.a', 'worker w2 left', 1));
    expect(kinds(events)).toEqual(['task_failed p.a', 'task_failed p.b', 'task_failed p.c']);
    expect(events[0]).toMatchObject({ worker_id: 'w2', attempt: 2 });
  });

  it('preempt: announced with the lease it ended and the count', () => {
    plan();
    transitions.lease('p.a', 'w1');
    expect(step(() => transitions.preempt('p.a', 'preempted for urgent work'))).toEqual([
      event('task_preempted', 'a', {
        worker_id: 'w1',
        attempt: 1,
        cause: 'preempted for urgent work',
        detail: { preemptions: 1 },
      }),
    ]);
  });

  it('completeDirectly and failDirectly: announced with the cause given, failures cascading', () => {
    plan();
    expect(step(() => transitions.completeDirectly('p.d', 'answer', 'external:gateway', 'answered'))).toEqual([
      event('task_completed', 'd', { cause: 'answered' }),
    ]);
    expect(kinds(step(() => transitions.failDirectly('p.a', 'declined')))).toEqual([
      'task_failed p.a',
      'task_failed p.b',
      'task_failed p.c',
    ]);
  });

  it('waitExternal and waitOn: escalated once; waiting on for a new reason is no change', () => {
    plan();
    const a = store.task('p.a');
    if (a === undefined) throw new Error('no p.a');
    expect(step(() => transitions.waitExternal(a, 'escalated: manual', 'manual'))).toEqual([
      event('task_escalated', 'a', { cause: 'manual' }),
    ]);
    expect(step(() => transitions.waitOn('p.a', 'waiting for the gateway'))).toEqual([]);
    expect(store.task('p.a')).toMatchObject({ status: 'waiting_external', cause: 'waiting for the gateway' });
    // Only a waiting task waits on: anything else is left as it is.
    transitions.waitOn('p.d', 'not waiting');
    expect(store.task('p.d')).toMatchObject({ status: 'queued', cause: null });
  });

  it('cancel and cascade: each canceled task announced, with its own cause', () => {
    plan();
    transitions.lease('p.a', 'w1');
    expect(step(() => transitions.cancel(['p.a'], 'canceled by operator'))).toEqual([
      event('task_canceled', 'a', { cause: 'canceled by operator' }),
    ]);
    const events = step(() => transitions.cascade('p.a', 'canceled', 'upstream_canceled: a'));
    expect(kinds(events)).toEqual(['task_canceled p.b', 'task_canceled p.c']);
    expect(events[1]).toMatchObject({ cause: 'upstream_canceled: a' });
  });

  it("atomically: in the caller's transaction, announces once its savepoint is released, and not if undone", () => {
    plan();
    store.transaction(() => {
      transitions.atomically(() => {
        transitions.cancel(['p.d'], 'canceled by operator');
        expect(heard).toEqual([]);
      });
      expect(kinds(heard)).toEqual(['task_canceled p.d']);
      heard = [];
      expect(() =>
        transitions.atomically(() => {
          transitions.cancel(['p.a'], 'canceled by operator');
          throw new Error('undone');
        }),
      ).toThrow('undone');
      expect(heard).toEqual([]);
      expect(store.task('p.a')?.status).toBe('queued');
    });
    // Outside any transaction it is the transaction, and announces inside it.
    transitions.atomically(() => {
      transitions.cancel(['p.a'], 'canceled by operator');
      expect(kinds(heard)).toEqual(['task_canceled p.a']);
    });
  });

  it('restart: requeued for its cause, the ready ones left for release; reopening without a cause is silent', () => {
    plan();
    transitions.failDirectly('p.a', 'boom');
    const events = step(() => transitions.restart('p', ['p.a', 'p.b', 'p.c'], 'retry requested by operator'));
    expect(kinds(events)).toEqual(['task_requeued p.a', 'task_requeued p.b', 'task_requeued p.c']);
    expect(events[0]).toMatchObject({ cause: 'retry requested by operator' });
    transitions.failDirectly('p.a', 'boom again');
    // A person escalating p.a reopens its dependents: they wait for it again, and its own move is what is announced.
    heard = [];
    expect(transitions.restart('p', ['p.b', 'p.c'])).toEqual([]);
    expect(heard).toEqual([]);
  });

  it('blockOnSubtasks, cancelResource and planFinished announce nothing (what surrounds them does)', () => {
    plan();
    heard = [];
    transitions.blockOnSubtasks('p.d', ['p.a'], ['a'], 'advised: waiting for 1 subtask(s)');
    expect(store.task('p.d')).toMatchObject({ status: 'blocked', pending_deps: 1 });
    const load = { ...task('load'), task_class: 'resource' as const, type: 'llm' as const, command: 'load_llm' };
    store.insertTasks('p', [load], new Map([['load', 'p.load']]), 'brain', 9);
    transitions.cancelResource('p.load', 'resource task not run');
    expect(store.task('p.load')?.status).toBe('canceled');
    expect(transitions.planFinished('p')).toBeUndefined();
    expect(heard).toEqual([]);
  });
});
