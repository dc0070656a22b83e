import { budgetWindows } from '../budget/ledger.js';
import type { GatewayConfig } from '../config/config-schema.js';
import { microToUsd } from '../config/prices.js';
import type { RigSummary } from '../auth/rig-registry.js';
import type { Db } from '../store/open-db.js';

/** Spend against one cap: settled calls plus the worst case of calls in flight. */
export interface CapUse {
  readonly usd: number;
  /** The cap from config.json, when it could be read. */
  readonly cap_usd?: number;
}

/** One rig's line of the status. */
export interface RigStatus {
  readonly name: string;
  readonly rig_id: string;
  readonly active: boolean;
  readonly today: CapUse;
  readonly month: CapUse;
}

/** The last upstream call of some kind, from the ledger. */
export interface CallSummary {
  readonly at: string;
  readonly outcome: string;
  readonly http_status: number | null;
  readonly model: string;
  readonly latency_ms: number;
}

/** What `rigmind-gateway status` shows: spend against the caps, the outbox, the last calls, the audit head. */
export interface GatewayStatus {
  readonly day: string;
  readonly month: string;
  readonly upstream?: string;
  readonly overall: { readonly today: CapUse; readonly month: CapUse };
  readonly rigs: readonly RigStatus[];
  readonly outbox: { readonly pending: number; readonly next_attempt_at: string | null; readonly failed_today: number };
  readonly last_call: CallSummary | null;
  readonly last_failed_call: CallSummary | null;
  readonly audit: { readonly records: number; readonly head_ts: string | null };
}

const use = (micro: number, capUsd: number | undefined): CapUse => ({
  usd: microToUsd(micro),
  ...(capUsd === undefined ? {} : { cap_usd: capUsd }),
});

interface CallRow {
  ts: number;
  outcome: string;
  http_status: number | null;
  model: string;
  latency_ms: number;
}
const call = (row: CallRow | undefined): CallSummary | null =>
  row === undefined
    ? null
    : {
        at: new Date(row.ts).toISOString(),
        outcome: row.outcome,
        http_status: row.http_status,
        model: row.model,
        latency_ms: Math.round(row.latency_ms),
      };

/**
 * The gateway's state as an operator asks for it on the Pi. Read-only: run from the CLI's own process, its reads
 * never wait for the running gateway's writes nor hold them up (WAL). `registered` is the registry's list of
 * rigs; `config` adds the caps and the upstream.
 */
export function gatewayStatus(
  db: Db,
  now: number,
  registered: readonly RigSummary[],
  config?: GatewayConfig,
): GatewayStatus {
  const { day, month } = budgetWindows(now);
  const budgets = config?.budgets;
  const spend = db
    .prepare(
      `SELECT rig_id, COALESCE(SUM(CASE WHEN day = @day THEN micro_usd END), 0) AS today,
        COALESCE(SUM(micro_usd), 0) AS month
       FROM spend WHERE month = @month GROUP BY rig_id`,
    )
    .all({ day, month }) as { rig_id: string; today: number; month: number }[];
  const byRig = new Map(spend.map((row) => [row.rig_id, row]));
  const rigs = registered.map(
    (rig): RigStatus => ({
      name: rig.name,
      rig_id: rig.rig_id,
      active: rig.revoked_at === null,
      today: use(byRig.get(rig.rig_id)?.today ?? 0, budgets?.per_rig.daily_usd),
      month: use(byRig.get(rig.rig_id)?.month ?? 0, budgets?.per_rig.monthly_usd),
    }),
  );
  const total = spend.reduce((sum, row) => ({ today: sum.today + row.today, month: sum.month + row.month }), {
    today: 0,
    month: 0,
  });
  const outbox = db
    .prepare("SELECT COUNT(*) AS pending, MIN(next_attempt_at) AS next FROM escalations WHERE state = 'pending'")
    .get() as { pending: number; next: number | null };
  const startOfDay = Date.parse(`${day}T00:00:00Z`);
  const failedToday = db
    .prepare("SELECT COUNT(*) FROM escalations WHERE state = 'failed' AND updated_at >= ?")
    .pluck()
    .get(startOfDay) as number;
  const columns = 'ts, outcome, http_status, model, latency_ms';
  const lastCall = db.prepare(`SELECT ${columns} FROM ledger ORDER BY id DESC LIMIT 1`).get() as CallRow | undefined;
  // Through the ledger's day index: this month's calls at most are read, however long the ledger.
  const lastFailed = db
    .prepare(`SELECT ${columns} FROM ledger WHERE day >= ? AND outcome <> 'ok' ORDER BY id DESC LIMIT 1`)
    .get(`${month}-01`) as CallRow | undefined;
  const audit = db
    .prepare('SELECT COUNT(*) AS records, (SELECT ts FROM audit ORDER BY seq DESC LIMIT 1) AS head_ts FROM audit')
    .get() as { records: number; head_ts: string | null };
  return {
    day,
    month,
    ...(config === undefined ? {} : { upstream: config.upstream.base_url }),
    overall: {
      today: use(total.today, budgets?.overall.daily_usd),
      month: use(total.month, budgets?.overall.monthly_usd),
    },
    rigs,
    outbox: {
      pending: outbox.pending,
      next_attempt_at: outbox.next === null ? null : new Date(outbox.next).toISOString(),
      failed_today: failedToday,
    },
    last_call: call(lastCall),
    last_failed_call: call(lastFailed),
    audit,
  };
}

const money = (value: CapUse): string =>
  value.cap_usd === undefined
    ? `${value.usd.toFixed(4)} USD`
    : `${value.usd.toFixed(4)} of ${value.cap_usd.toFixed(2)} USD ` +
      `(${value.cap_usd === 0 ? 100 : Math.round((value.usd / value.cap_usd) * 100)}%)`;

const describeCall = (c: CallSummary): string =>
  `${c.at} ${c.outcome}${c.http_status === null ? '' : ` (HTTP ${c.http_status})`} ${c.model} ${c.latency_ms} ms`;

/** The status as lines for a person. */
export function renderGatewayStatus(status: GatewayStatus): string {
  const lines = [
    `day ${status.day} (UTC)${status.upstream === undefined ? '' : `, upstream ${status.upstream}`}`,
    `spend today       ${money(status.overall.today)}`,
    `spend this month  ${money(status.overall.month)}`,
  ];
  for (const rig of status.rigs) {
    lines.push(`  ${rig.name}${rig.active ? '' : ' (revoked)'}: today ${money(rig.today)}, month ${money(rig.month)}`);
  }
  if (status.rigs.length === 0) lines.push('  no rigs (add one with: rigs add NAME)');
  const { outbox } = status;
  lines.push(
    `outbox            ${outbox.pending} ` +
      `pending${outbox.next_attempt_at === null ? '' : `, next try ${outbox.next_attempt_at}`}; ` +
      `${outbox.failed_today} failed today`,
    `last call         ${status.last_call === null ? 'none' : describeCall(status.last_call)}`,
    `last failed call  ${status.last_failed_call === null ? 'none this month' : describeCall(status.last_failed_call)}`,
    `audit             ${status.audit.records} ` +
      `records${status.audit.head_ts === null ? '' : `, newest ${status.audit.head_ts}`} (check the chain with: ` +
      `audit verify)`,
  );
  return `${lines.join('\n')}\n`;
}
