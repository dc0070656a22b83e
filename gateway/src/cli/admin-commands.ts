import type { Runtime } from '@rigmind/protocol';
import { randomBytes } from 'node:crypto';
import { AuditLog, verifyAudit } from '../audit/audit-log.js';
import { RigRegistry, type AddRigResult, type RotateRigResult } from '../auth/rig-registry.js';
import { auditReport } from '../reports/audit-report.js';
import { loadConfig } from '../config/load-config.js';
import { costReport, costReportCsv } from '../reports/cost-report.js';
import { gatewayStatus, renderGatewayStatus } from '../reports/gateway-status.js';
import { AuditReportQuerySchema, CostReportQuerySchema } from '../reports/report-schemas.js';
import { openGatewayDb, openGatewayDbReadonly, type Db } from '../store/open-db.js';

/** Where a command writes, and the runtime it hands to what it builds. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly runtime: Runtime;
}

function withDb<T>(home: string, run: (db: Db) => T, open: (home: string) => Db = openGatewayDb): T {
  const db = open(home);
  try {
    return run(db);
  } finally {
    db.close();
  }
}

// Issue a credential (`rigs add`, `rigs rotate`), audit it, and show the secret: the only time it is shown.
function issueCredential(
  home: string,
  io: CliIo,
  action: 'rigs_add' | 'rigs_rotate',
  name: string,
  issue: (registry: RigRegistry) => AddRigResult | RotateRigResult,
  then: string,
): number {
  return withDb(home, (db) => {
    const result = issue(new RigRegistry(db, io.runtime, randomBytes));
    if (!result.ok) {
      io.err(`${result.code}: ${result.message}\n`);
      return 1;
    }
    new AuditLog(db, io.runtime).append('admin', 'cli', { action, rig: name, rig_id: result.value.rigId });
    io.out(
      `rig id:     ${result.value.rigId}\nrig secret: ${result.value.secret}\n\nThe secret is shown only this once. ` +
        `${then}\n`,
    );
    return 0;
  });
}

/** `rigs add NAME`: issue a credential and print it once. */
export function rigsAdd(home: string, name: string, io: CliIo): number {
  return issueCredential(
    home,
    io,
    'rigs_add',
    name,
    (registry) => registry.add(name),
    "Put both in the rig's config (escalation.rig_id and its secret file).",
  );
}

/** `rigs rotate NAME`: a new secret for the same rig, printed once; the old one stops working. */
export function rigsRotate(home: string, name: string, io: CliIo): number {
  return issueCredential(
    home,
    io,
    'rigs_rotate',
    name,
    (registry) => registry.rotate(name),
    "The old secret is refused from now on. Put the new one in the rig's secret file.",
  );
}

/** `rigs list`. */
export function rigsList(home: string, io: CliIo): number {
  return withDb(
    home,
    (db) => {
      const rigs = new RigRegistry(db, io.runtime, randomBytes).list();
      if (rigs.length === 0) io.out('no rigs\n');
      for (const rig of rigs)
        io.out(
          `${rig.name}\t${rig.rig_id}\tcreated ` +
            `${rig.created_at}\t${rig.revoked_at === null ? 'active' : `revoked ${rig.revoked_at}`}\n`,
        );
      return 0;
    },
    openGatewayDbReadonly,
  );
}

/** `rigs revoke NAME`. */
export function rigsRevoke(home: string, name: string, io: CliIo): number {
  return withDb(home, (db) => {
    if (!new RigRegistry(db, io.runtime, randomBytes).revoke(name)) {
      io.err(`no active rig named ${name}\n`);
      return 1;
    }
    new AuditLog(db, io.runtime).append('admin', 'cli', { action: 'rigs_revoke', rig: name });
    io.out(`revoked ${name}\n`);
    return 0;
  });
}

/** `audit verify`: exit 1 naming the first bad record. */
export function auditVerify(home: string, io: CliIo): number {
  return withDb(
    home,
    (db) => {
      const result = verifyAudit(db);
      if (!result.ok) {
        io.err(`audit chain broken at record ${result.seq}: ${result.message}\n`);
        return 1;
      }
      io.out(`audit chain ok: ${result.value.records} records, head ${result.value.head}\n`);
      return 0;
    },
    openGatewayDbReadonly,
  );
}

/** `report cost`. */
export function reportCost(home: string, options: Record<string, unknown>, io: CliIo): number {
  const query = CostReportQuerySchema.safeParse({
    from: options['from'],
    to: options['to'],
    group_by: options['groupBy'],
    format: options['format'],
  });
  if (!query.success) {
    io.err(
      `invalid options: ${query.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}\n`,
    );
    return 2;
  }
  return withDb(
    home,
    (db) => {
      const report = costReport(db, query.data, io.runtime.now(), 'all');
      io.out(query.data.format === 'csv' ? costReportCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
      return 0;
    },
    openGatewayDbReadonly,
  );
}

/** `report audit`. */
export function reportAudit(home: string, options: Record<string, unknown>, io: CliIo): number {
  const query = AuditReportQuerySchema.safeParse({
    from: options['from'],
    to: options['to'],
    kind: options['kind'],
    limit: options['limit'],
  });
  if (!query.success) {
    io.err(
      `invalid options: ${query.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}\n`,
    );
    return 2;
  }
  return withDb(
    home,
    (db) => {
      io.out(`${JSON.stringify(auditReport(db, query.data, 'all'), null, 2)}\n`);
      return 0;
    },
    openGatewayDbReadonly,
  );
}

/** `status`: spend against the caps, the outbox, the last calls and the audit head; caps need config.json. */
export function status(
  home: string,
  options: { json?: boolean },
  io: CliIo,
  warn: (code: string, message: string) => void = (code, message) => io.err(`${code}: ${message}\n`),
): number {
  const loaded = loadConfig(home);
  // Spend is worth showing even when the config cannot be read; the caps are then left out, and it says why.
  if (!loaded.ok) warn(loaded.code, `${loaded.message}: caps not shown`);
  return withDb(
    home,
    (db) => {
      const result = gatewayStatus(
        db,
        io.runtime.now(),
        new RigRegistry(db, io.runtime, randomBytes).list(),
        loaded.ok ? loaded.value : undefined,
      );
      io.out(options.json === true ? `${JSON.stringify(result, null, 2)}\n` : renderGatewayStatus(result));
      return 0;
    },
    openGatewayDbReadonly,
  );
}
