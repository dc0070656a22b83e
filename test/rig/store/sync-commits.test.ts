import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { ackedToClient } from '../../../rig/src/brain/write-health.js';
import { connectionOf } from '../../../rig/src/store/connection.js';
import { Store } from '../../../rig/src/store/store.js';

/** SQLite's numbers for the levels: 1 NORMAL, 2 FULL. */
const NORMAL = 1;
const FULL = 2;

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-sync-'));
  store = new Store(join(dir, 'state.db'), systemRuntime);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

// The level is the connection's own setting: only the store's connection can say what it is.
const level = (): unknown => connectionOf(store).pragma('synchronous');

describe('commits synced per request', () => {
  it('opens with NORMAL and syncs only when asked', () => {
    expect(level()).toBe(NORMAL);
    store.syncCommits(true);
    expect(level()).toBe(FULL);
    store.syncCommits(false);
    expect(level()).toBe(NORMAL);
  });

  it('keeps the level of a transaction under way instead of throwing', () => {
    store.transaction(() => {
      expect(() => store.syncCommits(true)).not.toThrow();
      expect(level()).toBe(NORMAL);
    });
  });

  it('syncs exactly the requests whose ack a client keeps', () => {
    for (const kind of ['submit_plan', 'cancel_request', 'retry_request', 'escalate_request'] as const) {
      expect(ackedToClient(kind), kind).toBe(true);
    }
    for (const kind of ['task_result', 'heartbeat', 'register', 'task_started', 'status_request'] as const) {
      expect(ackedToClient(kind), kind).toBe(false);
    }
  });
});
