import type { Db } from '../store/open-db.js';

/**
 * Nonces seen inside the replay window, kept in SQLite so a restart does not reopen the window.
 * Old nonces are pruned at most once a minute: a request older than the window is refused as stale anyway.
 */
export class NonceStore {
  readonly #insert;
  readonly #prune;
  #lastPrune = 0;

  constructor(
    db: Db,
    private readonly windowMs: number,
  ) {
    this.#insert = db.prepare('INSERT OR IGNORE INTO nonces (rig_id, nonce, seen_at) VALUES (?, ?, ?)');
    this.#prune = db.prepare('DELETE FROM nonces WHERE seen_at < ?');
  }

  /** Record a nonce; false when it was already seen (a replay). */
  remember(rigId: string, nonce: string, now: number): boolean {
    if (now - this.#lastPrune > 60_000) {
      // Twice the window: a nonce must outlive every timestamp that could still pass the skew check.
      this.#prune.run(now - 2 * this.windowMs);
      this.#lastPrune = now;
    }
    return this.#insert.run(rigId, nonce, now).changes === 1;
  }
}
