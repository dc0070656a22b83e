import type { AuditRecord } from '../audit/audit-log.js';
import { AuditChainCheck } from '../audit/chain-check.js';
import type { Db } from '../store/open-db.js';
import type { ReportScope } from './cost-report.js';
import type { AuditReport, AuditReportQuery } from './report-schemas.js';

/**
 * Audit records between two UTC days (inclusive) in `scope` (one rig's: the records it is the actor of), newest
 * last, with the chain's verification (which says whether the log is intact, not what others did): by `chain`,
 * the server's running check, or the whole chain read now.
 */
export function auditReport(
  db: Db,
  query: AuditReportQuery,
  scope: ReportScope,
  chain: AuditChainCheck = new AuditChainCheck(db),
): AuditReport {
  const from = query.from ?? '0000-01-01';
  const to = `${query.to ?? '9999-12-31'}T99`;
  const kindClause = query.kind === undefined ? '' : 'AND kind = @kind';
  const actorClause = scope === 'all' ? '' : 'AND actor = @actor';
  const rows = db
    .prepare(
      `SELECT * FROM audit WHERE ts >= @from AND ts <= @to ${kindClause} ${actorClause} ORDER BY seq DESC LIMIT @limit`,
    )
    .all({
      from,
      to,
      limit: query.limit,
      ...(query.kind === undefined ? {} : { kind: query.kind }),
      ...(scope === 'all' ? {} : { actor: scope.rigName }),
    }) as AuditRecord[];
  const checked = chain.check();
  return {
    chain: checked.ok
      ? { ok: true, records: checked.value.records, head: checked.value.head, checked_from_seq: checked.checkedFromSeq }
      : { ok: false, first_bad_seq: checked.seq, reason: checked.message, checked_from_seq: checked.checkedFromSeq },
    records: rows.reverse().map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> })),
  };
}
