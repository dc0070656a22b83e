import type { Db } from '../store/open-db.js';
import { verifyAudit, type AuditHead, type AuditVerification } from './audit-log.js';

/** A verification and the first record it read (1 when it read the whole chain). */
export type ChainCheck = AuditVerification & { readonly checkedFromSeq: number };

/**
 * The audit chain as the server's reports check it: the whole chain the first time, then only the records
 * appended since the last good check (and that check's head record, again). Walking every record on every report
 * held the event loop ~2 us per record on the development machine: seconds for a year of a busy rig's records,
 * with every escalation waiting behind it. The gateway makes the first, whole check when it starts. A record changed
 * in the file after this process verified it is found by `rigmind-gateway audit verify` or at the next start,
 * which read the whole chain.
 */
export class AuditChainCheck {
  #good: AuditHead | undefined;

  constructor(private readonly db: Db) {}

  /** Check the chain; a failure is reported again on every check until the chain is mended. */
  check(): ChainCheck {
    const since = this.#good;
    const result = verifyAudit(this.db, since);
    if (result.ok) this.#good = result.value;
    return { ...result, checkedFromSeq: since === undefined || since.records === 0 ? 1 : since.records };
  }
}
