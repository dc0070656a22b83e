import { verifyAudit, type AuditRecord } from '../audit/audit-log.js';
import type { Db } from '../store/open-db.js';
import type { ReportScope } from './cost-report.js';
import type { AuditReport, AuditReportQuery } from './report-schemas.js';

/**
 * Audit records between two UTC days (inclusive) in `scope` (one rig's: the records it is the actor of), newest
 * last, with the verification of the whole chain (which says whether the log is intact, not what others did).
 */
export function auditReport(db: Db, query: AuditReportQuery, scope: ReportScope): AuditReport {
  const from = query.from ?? '0000-01-01';
  const to = `${query.to ?? '9999-12-31'}T99`;
  const kindClause = query.kind === undefined ? '' : 'AND kind = @kind';
  const actorClause = scope === 'all' ? '' : 'AND actor = @actor';
  const rows = db
    .prepare(`SELECT * FROM audit WHERE ts >= @from AND ts <= @to ${kindClause} ${actorClause} ORDER BY seq DESC LIMIT @limit`)
    .all({
      from, to, limit: query.limit,
      ...(query.kind === undefined ? {} : { kind: query.kind }),
      ...(scope === 'all' ? {} : { actor: scope.rigName }),
    }) as AuditRecord[];
  const chain = verifyAudit(db);
  return {
    chain: chain.ok ? { ok: true, records: chain.records, head: chain.head } : { ok: false, first_bad_seq: chain.seq, reason: chain.reason },
    records: rows.reverse().map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> })),
  };
}
