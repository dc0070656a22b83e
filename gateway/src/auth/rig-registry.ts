import { err, ok, type Result, type Runtime } from '@rigmind/protocol';
import type { Db } from '../store/open-db.js';

/** A rig as the registry lists it (never with its secret). */
export interface RigSummary {
  readonly rig_id: string;
  readonly name: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

/** An active rig with the secret its requests are checked against. */
export interface RigCredential {
  readonly rigId: string;
  readonly name: string;
  readonly secret: string;
}

/** Result of rotating a rig's secret: the same rig id with a new secret, shown once. */
export type RotateRigResult = Result<RigCredential, 'unknown_rig'>;

/** Result of adding a rig. The secret is shown once and never listed again. */
export type AddRigResult = Result<RigCredential, 'name_taken' | 'invalid_name'>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Rig credentials in gateway.db. HMAC needs the shared secret on both ends, so the secret itself is what is
 * kept (the database file is mode 0600); only the rig id and secret are stored, nothing about the rig's host.
 */
export class RigRegistry {
  readonly #findActive;

  constructor(
    private readonly db: Db,
    private readonly runtime: Pick<Runtime, 'now'>,
    private readonly randomBytes: (size: number) => Buffer,
  ) {
    // Every signed request looks its rig up: prepared once. Revocation still takes effect on the next request.
    this.#findActive = db.prepare('SELECT rig_id, name, secret FROM rigs WHERE rig_id = ? AND revoked_at IS NULL');
  }

  /** Issue a credential for a new rig name. */
  add(name: string): AddRigResult {
    if (!NAME.test(name)) return err('invalid_name', 'a rig name holds letters, digits, _ . - (at most 64)');
    const rigId = `rig_${this.randomBytes(8).toString('hex')}`;
    const secret = this.randomBytes(32).toString('base64url');
    const taken = this.db.prepare('SELECT 1 FROM rigs WHERE name = ?').get(name);
    if (taken !== undefined) return err('name_taken', `a rig named ${name} already exists (revoked names stay taken)`);
    this.db
      .prepare('INSERT INTO rigs (rig_id, name, secret, created_at) VALUES (?, ?, ?, ?)')
      .run(rigId, name, secret, this.runtime.now());
    return ok({ rigId, name, secret });
  }

  /** Every rig, active and revoked. */
  list(): RigSummary[] {
    const rows = this.db
      .prepare('SELECT rig_id, name, created_at, revoked_at FROM rigs ORDER BY created_at, name')
      .all() as {
      rig_id: string;
      name: string;
      created_at: number;
      revoked_at: number | null;
    }[];
    return rows.map((row) => ({
      rig_id: row.rig_id,
      name: row.name,
      created_at: new Date(row.created_at).toISOString(),
      revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
    }));
  }

  /**
   * A new secret for an active rig, under the same rig id (its escalations, spend and reports stay its own);
   * the old secret is refused from the next request on.
   */
  rotate(name: string): RotateRigResult {
    const secret = this.randomBytes(32).toString('base64url');
    const row = this.db
      .prepare('UPDATE rigs SET secret = ? WHERE name = ? AND revoked_at IS NULL RETURNING rig_id')
      .get(secret, name) as { rig_id: string } | undefined;
    if (row === undefined) return err('unknown_rig', `no active rig named ${name}`);
    return ok({ rigId: row.rig_id, name, secret });
  }

  /** Revoke by name; false when there is no such active rig. */
  revoke(name: string): boolean {
    return (
      this.db
        .prepare('UPDATE rigs SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL')
        .run(this.runtime.now(), name).changes === 1
    );
  }

  /** The active rig with this id, if any. */
  findActive(rigId: string): RigCredential | undefined {
    const row = this.#findActive.get(rigId) as { rig_id: string; name: string; secret: string } | undefined;
    return row === undefined ? undefined : { rigId: row.rig_id, name: row.name, secret: row.secret };
  }
}
