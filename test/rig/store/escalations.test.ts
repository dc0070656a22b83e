import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { Store } from '../../../rig/src/store/store.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-escalations-'));
  path = join(dir, 'state.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEY = /^handoff-[0-9a-f-]{32,36}$/;

describe("the rig's escalation rows", () => {
  it('give each handoff its own idempotency key and keep it, and the request first sent, through every retry', () => {
    const store = new Store(path, systemRuntime);
    try {
      const rows = store.escalations;
      rows.begin('t1', 'repeated_failure');
      const key = rows.get('t1')?.idempotency_key;
      expect(key).toMatch(KEY);
      rows.keepHandoff('t1', '{"sent":"first"}');
      rows.retryLater('t1', Date.now() + 1_000, undefined, 'unreachable');
      rows.retryLater('t1', Date.now() + 2_000, 'esc_1', 'pending');
      expect(rows.get('t1')).toMatchObject({
        idempotency_key: key,
        handoff: '{"sent":"first"}',
        tries: 2,
        escalation_id: 'esc_1',
      });
      // Escalating the task again is a new handoff: a new key, and no escalation id yet.
      rows.begin('t1', 'manual');
      expect(rows.get('t1')?.idempotency_key).toMatch(KEY);
      expect(rows.get('t1')?.idempotency_key).not.toBe(key);
      expect(rows.get('t1')?.escalation_id).toBeNull();
      expect(rows.get('t1')?.handoff).toBeNull();
    } finally {
      store.close();
    }
  });

  it('gives a handoff in flight in a database from before keys a key when the rig is upgraded', () => {
    const first = new Store(path, systemRuntime);
    first.escalations.begin('t1', 'requires_external');
    first.close();
    const raw = new Database(path);
    raw.exec('ALTER TABLE escalations DROP COLUMN idempotency_key');
    raw.close();
    const reopened = new Store(path, systemRuntime);
    try {
      const rows = reopened.escalations;
      const key = rows.get('t1')?.idempotency_key;
      expect(key).toMatch(KEY);
      reopened.close();
      const again = new Store(path, systemRuntime);
      expect(again.escalations.get('t1')?.idempotency_key).toBe(key);
      again.close();
    } finally {
      // Closing twice is harmless: the second does nothing.
      reopened.close();
    }
  });
});
