import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGatewayDb } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

describe('openGatewayDb', () => {
  it('opens a database only its user can read, in WAL mode, with foreign keys and a 2 MB page cache', () => {
    const home = mkdtempSync(join(tmpdir(), 'rigmind-db-'));
    const db = openGatewayDb(join(home, 'state'));
    try {
      expect(statSync(join(home, 'state')).mode & 0o777).toBe(0o700);
      expect(statSync(join(home, 'state', 'gateway.db')).mode & 0o777).toBe(0o600);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      // NORMAL: a commit is safe from a crash of the process; the checkpointer bounds how long until an fsync.
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      // Negative: KiB. Not better-sqlite3's 16 MB per connection (docs/gateway.md, Memory).
      expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
    } finally {
      db.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
