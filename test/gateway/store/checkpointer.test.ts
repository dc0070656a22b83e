import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKSTOP_AUTOCHECKPOINT_PAGES,
  openGatewayDb,
  startCheckpointer,
  type Checkpointer,
  type Db,
} from '@rigmind/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 250 && !condition(); tries += 1) await sleep(20);
  if (!condition()) throw new Error(`timed out waiting until ${what}`);
}

describe('WAL checkpoint worker', () => {
  let home: string;
  let db: Db;
  let checkpointer: Checkpointer | undefined;
  const errors: string[] = [];
  const changes: boolean[] = [];

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rigmind-cp-'));
    db = openGatewayDb(home);
    db.exec('CREATE TABLE filler (body TEXT)');
    errors.length = 0;
    changes.length = 0;
  });

  afterEach(async () => {
    await checkpointer?.stop();
    checkpointer = undefined;
    db.close();
    rmSync(home, { recursive: true, force: true });
  });

  const start = (idleMs: number, intervalMs = 20): Checkpointer =>
    startCheckpointer(db, {
      intervalMs,
      watchMs: 20,
      busyChanges: 50,
      idleMs,
      onError: (m) => errors.push(m),
      onWorker: (r) => changes.push(r),
    });
  const fill = (rows: number): void => {
    const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < rows; i += 1) insert.run('x'.repeat(4_000));
    })();
  };
  const autocheckpoint = (): unknown => db.pragma('wal_autocheckpoint', { simple: true });

  it('starts no worker while nothing is written, and leaves SQLite its own checkpoints', async () => {
    checkpointer = start(60_000);
    db.prepare('SELECT count(*) FROM filler').get();
    await sleep(200);
    expect(checkpointer.running).toBe(false);
    expect(autocheckpoint()).toBe(1_000);
    expect(changes).toEqual([]);
  });

  it('checkpoints a trickle of writes on the request connection, without a worker', async () => {
    checkpointer = start(60_000);
    fill(10);
    // 10 pages are far below SQLite's own 1,000-page autocheckpoint.
    await until(() => statSync(join(home, 'gateway.db')).size >= 40_000, 'the WAL was copied into the database file');
    expect(checkpointer.running).toBe(false);
    expect(autocheckpoint()).toBe(1_000);
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
  });

  it(
    'checkpoints from its own thread once writes come fast, with a backstop on the request connection, and ' +
      'restores the default when stopped',
    async () => {
      checkpointer = start(60_000);
      fill(200);
      await until(() => checkpointer?.running === true, 'the worker started');
      expect(autocheckpoint()).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES);
      // 200 pages are far below both autocheckpoint limits, so only the worker can have copied them into the database
      // file.
      const dbFile = join(home, 'gateway.db');
      await until(() => statSync(dbFile).size >= 800_000, 'the WAL was copied into the database file');
      await checkpointer.stop();
      expect(checkpointer.running).toBe(false);
      expect(autocheckpoint()).toBe(1_000);
      expect(changes).toEqual([true, false]);
      expect(errors).toEqual([]);
    },
  );

  it(
    'retires the worker after a quiet spell, checkpointing every write first, and starts one again when writes ' +
      'come fast again',
    async () => {
      // Its own checkpoints an hour apart: only the one it makes on retiring can copy the WAL into the file.
      checkpointer = start(150, 3_600_000);
      fill(200);
      await until(() => checkpointer?.running === true, 'the worker started');
      await until(() => checkpointer?.running === false, 'the worker retired');
      expect(autocheckpoint()).toBe(1_000);
      await until(() => statSync(join(home, 'gateway.db')).size >= 800_000, 'the last checkpoint copied the WAL');
      fill(200);
      await until(() => checkpointer?.running === true, 'a worker started again');
      expect(autocheckpoint()).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES);
      expect(changes.slice(0, 3)).toEqual([true, false, true]);
      expect(errors).toEqual([]);
    },
  );

  it('keeps checkpoints on the request connection for good when a worker dies, and says why', async () => {
    checkpointer = start(60_000);
    // The worker opens the database by name and insists that it exists; the request connection keeps its open file.
    unlinkSync(join(home, 'gateway.db'));
    fill(200);
    await until(() => errors.length >= 1 && checkpointer?.running === false, 'the worker died');
    expect(autocheckpoint()).toBe(1_000);
    expect(errors.join('\n')).toMatch(/checkpoint worker (failed|exited)/);
    fill(200);
    await sleep(200);
    expect(checkpointer.running).toBe(false);
    expect(changes).toEqual([true, false]);
  });
});
