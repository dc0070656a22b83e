import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, openGatewayDb, startCheckpointer } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

describe('WAL checkpoint worker', () => {
  it('checkpoints the WAL from its own thread, keeps a backstop on the request connection, and restores the default when stopped', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rigmind-cp-'));
    const db = openGatewayDb(home);
    try {
      const errors: string[] = [];
      const checkpointer = startCheckpointer(db, { intervalMs: 20, onError: (message) => errors.push(message) });
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES);
      db.exec('CREATE TABLE filler (body TEXT)');
      const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
      for (let i = 0; i < 200; i += 1) insert.run('x'.repeat(4_000));
      // 200 rows are far below the backstop, so only the worker can have copied them into the database file.
      const dbFile = join(home, 'gateway.db');
      for (let tries = 0; tries < 100 && statSync(dbFile).size < 800_000; tries += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(statSync(dbFile).size).toBeGreaterThanOrEqual(800_000);
      await checkpointer.stop();
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
      expect(errors).toEqual([]);
    } finally {
      db.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
