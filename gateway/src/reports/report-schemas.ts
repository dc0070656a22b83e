import { z } from 'zod';

/** Query of the cost report. Days are UTC, inclusive. */
export const CostReportQuerySchema = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  group_by: z.enum(['day', 'model', 'rig', 'task']).default('day'),
  format: z.enum(['json', 'csv']).default('json'),
});
/** A cost report query. */
export type CostReportQuery = z.infer<typeof CostReportQuerySchema>;

/** One group of a cost report. */
export const CostRowSchema = z.strictObject({
  key: z.string(),
  calls: z.int().min(0),
  input_tokens: z.int().min(0),
  output_tokens: z.int().min(0),
  cache_write_tokens: z.int().min(0),
  cache_read_tokens: z.int().min(0),
  usd: z.number().min(0),
});
/** A cost report row. */
export type CostRow = z.infer<typeof CostRowSchema>;

/** The cost report (JSON form; the CSV has the same columns). */
export const CostReportSchema = z.strictObject({
  from: z.iso.date(),
  to: z.iso.date(),
  group_by: z.enum(['day', 'model', 'rig', 'task']),
  rows: z.array(CostRowSchema),
  total: CostRowSchema,
});
/** A cost report. */
export type CostReport = z.infer<typeof CostReportSchema>;

/** Query of the audit report. */
export const AuditReportQuerySchema = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  kind: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});
/** An audit report query. */
export type AuditReportQuery = z.infer<typeof AuditReportQuerySchema>;

/** One audit record as reported. */
export const AuditEntrySchema = z.strictObject({
  seq: z.int().min(1),
  ts: z.iso.datetime(),
  kind: z.string(),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});

/**
 * The audit report, with whether the chain verifies. `checked_from_seq`: the first record this check read; the
 * server checked the records before it on earlier reports since it started (1: the whole chain was read now).
 */
export const AuditReportSchema = z.strictObject({
  chain: z.strictObject({
    ok: z.boolean(),
    records: z.int().min(0).optional(),
    head: z.string().optional(),
    first_bad_seq: z.int().optional(),
    reason: z.string().optional(),
    checked_from_seq: z.int().min(1),
  }),
  records: z.array(AuditEntrySchema),
});
/** An audit report. */
export type AuditReport = z.infer<typeof AuditReportSchema>;
