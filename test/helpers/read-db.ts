import Database from 'better-sqlite3';

/**
 * Rows of a query on the state database at `path`, through a read-only connection of the test's own: what is on
 * disk (committed), seen the way an outsider would, without a door into the store's connection.
 */
export function readRows<T>(path: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<unknown[], T>(sql).all(...params);
  } finally {
    db.close();
  }
}
