import type { Runtime } from '@rigmind/protocol';
import { hash } from 'node:crypto';
import { err, ok, redactDeep, type Result } from '@rigmind/protocol';
import { immediateOrJoined, type Db } from '../store/open-db.js';

/** What an audit record is about. */
export type AuditKind =
  | 'request_accepted'
  | 'request_refused'
  | 'upstream_call'
  | 'escalation_completed'
  | 'escalation_deferred'
  | 'escalation_failed'
  | 'escalation_withdrawn'
  | 'admin';

/** One record as stored. `detail` is the exact JSON text that was hashed. */
export interface AuditRecord {
  readonly seq: number;
  readonly ts: string;
  readonly kind: string;
  readonly actor: string;
  readonly detail: string;
  readonly prev_hash: string;
  readonly hash: string;
}

/** The `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 over the previous hash and every field of the record, one per line. */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return hash(
    'sha256',
    [record.prev_hash, String(record.seq), record.ts, record.kind, record.actor, record.detail].join('\n'),
    'hex',
  );
}

/**
 * The append-only, hash-chained audit log, in gateway.db so the server and the admin CLI can both append
 * safely (each append reads the head and writes the next record in one immediate transaction, its own or the caller's).
 */
export class AuditLog {
  readonly #append: (kind: string, actor: string, detail: string, ts: string) => AuditRecord;

  constructor(
    db: Db,
    private readonly runtime: Pick<Runtime, 'now'>,
  ) {
    const head = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    const insert = db.prepare(
      'INSERT INTO audit (seq, ts, kind, actor, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#append = immediateOrJoined(db, (kind: string, actor: string, detail: string, ts: string): AuditRecord => {
      const last = head.get() as { seq: number; hash: string } | undefined;
      const base = { seq: (last?.seq ?? 0) + 1, ts, kind, actor, detail, prev_hash: last?.hash ?? GENESIS_HASH };
      const record = { ...base, hash: hashRecord(base) };
      insert.run(record.seq, record.ts, record.kind, record.actor, record.detail, record.prev_hash, record.hash);
      return record;
    });
  }

  /** Append one record. Detail is redacted before it is stored. Throws only if the database fails. */
  append(kind: AuditKind, actor: string, detail: Record<string, unknown>): AuditRecord {
    return this.#append(kind, actor, JSON.stringify(redactDeep(detail)), new Date(this.runtime.now()).toISOString());
  }
}

/** A good chain: how many records it has and the hash of the newest. */
export interface AuditHead {
  readonly records: number;
  readonly head: string;
}

/**
 * How a chain is broken at a record: one is missing, one was changed, or a link does not hold (removed or reordered).
 */
export type AuditBreakCode = 'record_removed' | 'record_changed' | 'link_broken';

/** The chain's head when all is well, or the first bad record (`seq`) and what is wrong with it. */
export type AuditVerification = Result<AuditHead, AuditBreakCode, { readonly seq: number }>;

/**
 * Walk the chain in `seq` order. Finds a changed record (hash mismatch), a removed one (gap in seq or a
 * broken prev link) and a reordered pair (broken prev link). A cut at the tail needs the head recorded elsewhere.
 * With `since` (an earlier good verification of the same chain) it checks that its head record is still there
 * and unchanged, then walks only the records appended after it.
 */
export function verifyAudit(db: Db, since?: AuditHead): AuditVerification {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let count = 0;
  // A good chain's seqs run 1..records, so its head record is number `records`.
  if (since !== undefined && since.records > 0) {
    const anchor = db
      .prepare('SELECT seq, ts, kind, actor, detail, prev_hash, hash FROM audit WHERE seq = ?')
      .get(since.records) as AuditRecord | undefined;
    if (anchor === undefined)
      return err('record_removed', 'a record verified earlier is gone: it was removed', { seq: since.records });
    if (anchor.hash !== since.head || hashRecord(anchor) !== anchor.hash)
      return err('record_changed', 'a record verified earlier was changed', { seq: since.records });
    expectedSeq = since.records + 1;
    prev = since.head;
    count = since.records;
  }
  const rows = db
    .prepare('SELECT seq, ts, kind, actor, detail, prev_hash, hash FROM audit WHERE seq >= ? ORDER BY seq')
    .iterate(expectedSeq) as IterableIterator<AuditRecord>;
  for (const row of rows) {
    if (row.seq !== expectedSeq)
      return err('record_removed', `expected record ${expectedSeq} here: a record was removed`, { seq: row.seq });
    if (row.prev_hash !== prev)
      return err('link_broken', 'prev_hash does not match the record before it: removed or reordered', {
        seq: row.seq,
      });
    if (hashRecord(row) !== row.hash)
      return err('record_changed', 'hash does not match the record: it was changed', { seq: row.seq });
    prev = row.hash;
    expectedSeq += 1;
    count += 1;
  }
  return ok({ records: count, head: prev });
}
