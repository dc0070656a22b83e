import type { Runtime } from '@rigmind/protocol';
import { toIssues } from '@rigmind/protocol';
import { Hono } from 'hono';
import type { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuditChainCheck } from '../audit/chain-check.js';
import type { RigCredential } from '../auth/rig-registry.js';
import { auditReport } from '../reports/audit-report.js';
import { costReport, costReportCsv, type ReportScope } from '../reports/cost-report.js';
import { AuditReportQuerySchema, CostReportQuerySchema } from '../reports/report-schemas.js';
import type { Db } from '../store/open-db.js';
import { errorJson } from './error-body.js';
import type { SignedVariables } from './signed-requests.js';

/** A rig's own calls and records: all a rig may read over HTTP. */
function ownScope(rig: RigCredential): ReportScope {
  return { rigId: rig.rigId, rigName: rig.name };
}

/** What the report routes need. */
export interface ReportRouteDeps {
  readonly db: Db;
  readonly audit: AuditLog;
  /** The server's running check of the audit chain (whole chain once, then what was appended). */
  readonly auditChain: AuditChainCheck;
  readonly runtime: Pick<Runtime, 'now'>;
}

/**
 * GET /v1/reports/cost and GET /v1/reports/audit. Mounted behind the signature check; a rig sees its own calls and
 * records only (least privilege: another rig's tasks and reasons are not its business). Every rig's: the CLI on the Pi.
 */
export function reportRoutes(deps: ReportRouteDeps): Hono<{ Variables: SignedVariables }> {
  const app = new Hono<{ Variables: SignedVariables }>();

  const parseQuery = <S extends z.ZodType>(
    schema: S,
    query: Record<string, string>,
  ): z.infer<S> | { issues: { path: string; message: string }[] } => {
    const parsed = schema.safeParse(query);
    return parsed.success ? (parsed.data as z.infer<S>) : { issues: toIssues(parsed.error) };
  };

  app.get('/cost', (c) => {
    const rig = c.get('rig');
    const query = parseQuery(CostReportQuerySchema, c.req.query());
    deps.audit.append('request_accepted', rig.name, { method: 'GET', path: '/v1/reports/cost', query: c.req.query() });
    if ('issues' in query) return errorJson(c, 400, 'invalid_query', 'invalid cost report query', query.issues);
    const report = costReport(deps.db, query, deps.runtime.now(), ownScope(rig));
    if (query.format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      return c.body(costReportCsv(report), 200);
    }
    return c.json(report, 200);
  });

  app.get('/audit', (c) => {
    const rig = c.get('rig');
    const query = parseQuery(AuditReportQuerySchema, c.req.query());
    deps.audit.append('request_accepted', rig.name, { method: 'GET', path: '/v1/reports/audit', query: c.req.query() });
    if ('issues' in query) return errorJson(c, 400, 'invalid_query', 'invalid audit report query', query.issues);
    return c.json(auditReport(deps.db, query, ownScope(rig), deps.auditChain), 200);
  });

  return app;
}
