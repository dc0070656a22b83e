import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventTypeSchema, systemRuntime } from '@rigmind/protocol';
import { Store } from '../../../rig/src/store/store.js';

const SRC = resolve(import.meta.dirname, '../../../rig/src');

/** Every TypeScript source of the rig, as a path relative to rig/src and its text. */
function sources(): { file: string; text: string }[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file: file.split('\\').join('/'), text: readFileSync(join(SRC, file), 'utf8') }));
}

const inStore = (file: string): boolean => file.startsWith('store/');

// Upper case, as the rig writes SQL: an English "select ... from" in a comment is not SQL.
const SQL = new RegExp(
  [
    String.raw`\bSELECT\b[\s\S]{0,400}?\bFROM\b`,
    String.raw`\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\b`,
    String.raw`\bUPDATE\s+\w+\s+SET\b`,
    String.raw`\bDELETE\s+FROM\b`,
    String.raw`\b(?:CREATE|ALTER|DROP)\s+(?:TABLE|INDEX|TRIGGER)\b`,
  ].join('|'),
);
const SQLITE = /from\s+['"]better-sqlite3['"]|import\(\s*['"]better-sqlite3['"]\s*\)/;
const CONNECTION = /from\s+['"][./]*(?:store\/)?connection\.js['"]/;
// A write of a task's status: `status =` in the SET clause of an UPDATE of tasks (not in its WHERE).
const STATUS_WRITE = /UPDATE\s+tasks\s+SET\s+(?:(?!\bWHERE\b)[\s\S])*?\bstatus\s*=/;

/** The task state machine: `Transitions` (its door) and the two files it keeps its concepts in. */
const STATE_MACHINE = [
  'store/judge-transitions.ts',
  'store/operator-transitions.ts',
  'store/task-outcomes.ts',
  'store/transitions.ts',
];

/** The events that announce a change of a task's status: the state machine's to emit, in the change's transaction. */
const STATUS_EVENTS = [
  'task_dispatched',
  'task_started',
  'task_completed',
  'task_failed',
  'task_retry_scheduled',
  'task_requeued',
  'task_released',
  'task_canceled',
  'task_preempted',
  // A failure waiting for the brain's model, and its judgement, recorded with the change it leads to.
  'task_judging',
  'task_judged',
  'task_escalated',
];
/** Task events that change no status: anyone may emit them. */
const NOT_STATUS_EVENTS = ['task_advised'];
// An event of one of those types written as an object to emit: `event_type: 'task_completed'`, or a choice of them.
const EMITS_STATUS = new RegExp(`\\bevent_type\\s*:[^,;}]*?['"\`](?:${STATUS_EVENTS.join('|')})['"\`]`);
// The state machine's own way to announce (`announce(events, 'task_completed', ...)`), imported from task-events.
const ANNOUNCES = /import\s*\{[^}]*\bannounce\b[^}]*\}\s*from\s*['"][./]*(?:store\/)?task-events\.js['"]/;

describe('the store is the one door to the state database', () => {
  it('is the only code that imports better-sqlite3, holds the connection, or writes SQL', () => {
    const all = sources();
    const outside = all.filter((source) => !inStore(source.file));
    expect(outside.length).toBeGreaterThan(50);
    expect(outside.filter((source) => SQLITE.test(source.text)).map((source) => source.file)).toEqual([]);
    expect(outside.filter((source) => CONNECTION.test(source.text)).map((source) => source.file)).toEqual([]);
    expect(outside.filter((source) => SQL.test(source.text)).map((source) => source.file)).toEqual([]);
    // The patterns do find what they look for: the store's own files match them.
    const store = all.filter((source) => inStore(source.file));
    expect(store.some((source) => SQLITE.test(source.text))).toBe(true);
    expect(store.filter((source) => SQL.test(source.text)).length).toBeGreaterThan(5);
  });

  it('lets only the state machine write a task status', () => {
    const writers = sources()
      .filter((source) => STATUS_WRITE.test(source.text))
      .map((source) => source.file);
    expect(writers.sort()).toEqual(STATE_MACHINE);
    expect(
      STATUS_WRITE.test("UPDATE tasks SET executor = 'brain', model = NULL, status = 'queued' WHERE task_id = ?"),
    ).toBe(true);
    expect(
      STATUS_WRITE.test("UPDATE tasks SET pending_deps = pending_deps - 1 WHERE task_id = ? AND status = 'blocked'"),
    ).toBe(false);
  });

  it('lets only the state machine announce a change of a task status', () => {
    // Every task event type of the protocol is sorted here: a new one must say whether it is a status change.
    const taskEvents = EventTypeSchema.options.filter((type) => type.startsWith('task_'));
    expect([...taskEvents].sort()).toEqual([...STATUS_EVENTS, ...NOT_STATUS_EVENTS].sort());
    const all = sources();
    const outside = all.filter((source) => !STATE_MACHINE.includes(source.file));
    expect(outside.filter((source) => EMITS_STATUS.test(source.text)).map((source) => source.file)).toEqual([]);
    const announcers = all.filter((source) => ANNOUNCES.test(source.text)).map((source) => source.file);
    expect(announcers.sort()).toEqual(STATE_MACHINE);
    // The state machine announces every one of them.
    const machine = all.filter((source) => STATE_MACHINE.includes(source.file)).map((source) => source.text);
    for (const type of STATUS_EVENTS)
      expect(
        machine.some((text) => text.includes(`'${type}'`)),
        type,
      ).toBe(true);
    // The pattern finds an emit as the brain wrote them before, on one line or several, and a choice of types.
    expect(EMITS_STATUS.test("ctx.events.emit({ event_type: 'task_completed', ...base });")).toBe(true);
    expect(EMITS_STATUS.test("ctx.events.emit({\n  event_type: 'task_released',\n  plan_id })")).toBe(true);
    expect(EMITS_STATUS.test("emit({ event_type: failed ? 'task_failed' : 'task_canceled' })")).toBe(true);
    expect(EMITS_STATUS.test("ctx.events.emit({ event_type: 'task_advised', ...base })")).toBe(false);
    expect(EMITS_STATUS.test("if (event.event_type === 'task_failed') warn();")).toBe(false);
  });

  it('offers no connection and no statements: only calls named for what they mean', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigmind-door-'));
    const store = new Store(join(dir, 'state.db'), systemRuntime);
    try {
      for (const name of ['db', 'stmt', 'prepare', 'exec', 'pragma']) {
        expect(name in store, name).toBe(false);
      }
      const values = Object.values(store).map((value: unknown) => (value as object | null)?.constructor?.name);
      expect(values).not.toContain('Database');
      expect(values).not.toContain('Connection');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
