import { microToUsd } from '../config/prices.js';
import type { Db } from '../store/open-db.js';
import type { CostReport, CostReportQuery, CostRow } from './report-schemas.js';

const KEY_SQL: Record<CostReportQuery['group_by'], string> = {
  day: 'l.day',
  model: 'l.model',
  rig: 'COALESCE(r.name, l.rig_id)',
  task: 'l.task_id',
};

/** Whose data a report covers: one rig's (what a rig asking over HTTP gets), or every rig's (the CLI on the Pi). */
export type ReportScope = { readonly rigId: string; readonly rigName: string } | 'all';

/** Cost per day, model, rig or task between two UTC days (inclusive), summed from the ledger's rows in `scope`. */
export function costReport(db: Db, query: CostReportQuery, now: number, scope: ReportScope): CostReport {
  const today = new Date(now).toISOString().slice(0, 10);
  const from = query.from ?? `${today.slice(0, 7)}-01`;
  const to = query.to ?? today;
  const rows = db
    .prepare(
      `SELECT ${KEY_SQL[query.group_by]} AS key, COUNT(*) AS calls, SUM(l.input_tokens) AS input_tokens,
         SUM(l.output_tokens) AS output_tokens,
         SUM(l.cache_write_5m_tokens + l.cache_write_1h_tokens) AS cache_write_tokens,
         SUM(l.cache_read_tokens) AS cache_read_tokens,
         SUM(l.micro_usd) AS micro_usd
       FROM ledger l LEFT JOIN rigs r ON r.rig_id = l.rig_id
       WHERE l.day >= @from AND l.day <= @to ${scope === 'all' ? '' : 'AND l.rig_id = @rig'} GROUP BY key ORDER BY key`,
    )
    .all({ from, to, ...(scope === 'all' ? {} : { rig: scope.rigId }) }) as (Omit<CostRow, 'usd'> & {
    micro_usd: number;
  })[];
  const total: CostRow & { micro: number } = {
    key: 'total',
    calls: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_write_tokens: 0,
    cache_read_tokens: 0,
    usd: 0,
    micro: 0,
  };
  const out: CostRow[] = rows.map(({ micro_usd, ...row }) => {
    total.calls += row.calls;
    total.input_tokens += row.input_tokens;
    total.output_tokens += row.output_tokens;
    total.cache_write_tokens += row.cache_write_tokens;
    total.cache_read_tokens += row.cache_read_tokens;
    total.micro += micro_usd;
    return { ...row, key: String(row.key), usd: microToUsd(micro_usd) };
  });
  const { micro, ...totalRow } = total;
  return { from, to, group_by: query.group_by, rows: out, total: { ...totalRow, usd: microToUsd(micro) } };
}

const COLUMNS = [
  'key',
  'calls',
  'input_tokens',
  'output_tokens',
  'cache_write_tokens',
  'cache_read_tokens',
  'usd',
] as const;

/** The report as CSV (RFC 4180 quoting), rows then a total line. */
export function costReportCsv(report: CostReport): string {
  const cell = (value: string | number): string => {
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [[report.group_by, ...COLUMNS.slice(1)].join(',')];
  for (const row of [...report.rows, report.total]) lines.push(COLUMNS.map((column) => cell(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
