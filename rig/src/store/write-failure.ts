import Database from 'better-sqlite3';

/** Why the state database refused a write: the disk is full, or another failure of the storage under it. */
export type WriteFailureCode = 'disk_full' | 'store_write_failed';

/** A write the state database could not make, as a value: a stable code, a sentence, and when it began. */
export interface WriteFailure {
  readonly code: WriteFailureCode;
  readonly message: string;
  /** ISO time of the first failure of this episode. */
  readonly since: string;
}

// The storage under the database failed; anything else SQLite says (a constraint, a syntax error) is a bug.
const STORAGE_CODES = [
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_PROTOCOL',
  'SQLITE_NOLFS',
];

/** The write failure an error from SQLite stands for, or undefined when it is not the storage's fault. */
export function writeFailureOf(error: unknown, since: string): WriteFailure | undefined {
  if (!(error instanceof Database.SqliteError)) return undefined;
  if (error.code === 'SQLITE_FULL') {
    return { code: 'disk_full', message: `the disk under the state database is full (${error.message})`, since };
  }
  if (STORAGE_CODES.some((prefix) => error.code.startsWith(prefix))) {
    const message = `the state database cannot be written: ${error.code} (${error.message})`;
    return { code: 'store_write_failed', message, since };
  }
  return undefined;
}
