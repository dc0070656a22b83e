import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Err, type Ok } from '@rigmind/protocol';
import Database from 'better-sqlite3';

/** Why the home could not be locked: another brain holds it, or the lock file itself is unusable. */
export type HomeLockCode = 'home_locked' | 'home_lock_failed';

/** The lock of one home, held until `release()` or the death of the process. */
export interface HomeLock {
  readonly path: string;
  /** Give the home up (a clean stop); idempotent. */
  release(): void;
}

/** A held lock, or why there is none; `pid` is the holder's when its pid file names one. */
export type HomeLockResult =
  | Ok<HomeLock>
  | Err<'home_locked', { readonly pid?: number }>
  | Err<Exclude<HomeLockCode, 'home_locked'>>;

/**
 * Lock a rig home for one brain. Node has no flock, but SQLite's unix VFS holds POSIX record locks, which the
 * kernel drops when the process dies however it dies (SIGKILL included), so a crash never leaves a stale lock.
 * `locking_mode = EXCLUSIVE` plus a write transaction kept open holds the lock file's EXCLUSIVE lock for the
 * connection's life; a second connection, in this process or another, gets SQLITE_BUSY at once (timeout 0).
 * The pid file only names the holder for the message; the lock, not the pid file, decides.
 */
export function lockHome(runDir: string, pid: number = process.pid): HomeLockResult {
  const path = join(runDir, 'brain.lock');
  const pidPath = join(runDir, 'brain.pid');
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 0 });
  } catch (error) {
    const message = `cannot open the lock file ${path}: ${(error as Error).message}`;
    return err('home_lock_failed', message);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') {
      return err('home_lock_failed', `cannot lock ${path}: ${(error as Error).message}`);
    }
    const holder = readPid(pidPath);
    if (holder === undefined) return err('home_locked', 'held by an unknown pid', {});
    return err('home_locked', `held by pid ${holder}`, { pid: holder });
  }
  writeFileSync(pidPath, `${pid}\n`);
  let held = true;
  return ok({
    path,
    release: () => {
      if (!held) return;
      held = false;
      // The pid file goes first: once the lock is free a new brain may write its own.
      rmSync(pidPath, { force: true });
      db.close();
    },
  });
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
