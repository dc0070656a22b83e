import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
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
const STATE_MACHINE = ['store/operator-transitions.ts', 'store/task-outcomes.ts', 'store/transitions.ts'];

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
