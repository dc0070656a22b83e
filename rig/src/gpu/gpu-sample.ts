import { err, ok, type Result } from '@rigmind/protocol';
import { z } from 'zod';
import { decodeThrottleReasons, ThrottleReasonSchema } from './throttle-reasons.js';

/** Newer drivers name the throttle bitmask this; older ones refuse it. */
export const REASONS_FIELD = 'clocks_event_reasons.active';
/** The older name of the same bitmask, still accepted by every driver that refuses the new one. */
export const LEGACY_REASONS_FIELD = 'clocks_throttle_reasons.active';
/** Which name the probe asks for. */
export type ReasonsField = typeof REASONS_FIELD | typeof LEGACY_REASONS_FIELD;

/** The columns the probe asks for, in order; the reasons column is last so the fallback swaps one name. */
export function queryFields(reasonsField: ReasonsField): readonly string[] {
  return [
    'index',
    'uuid',
    'name',
    'memory.used',
    'memory.total',
    'utilization.gpu',
    'temperature.gpu',
    'power.draw',
    'power.limit',
    reasonsField,
  ];
}

/** One card at one moment. Null means nvidia-smi had no value ([N/A], [Not Supported], empty or missing). */
export const GpuSampleSchema = z.strictObject({
  index: z.int().min(0),
  uuid: z.string().nullable(),
  name: z.string().nullable(),
  memory_used_mb: z.number().min(0).nullable(),
  memory_total_mb: z.number().min(0).nullable(),
  utilization_pct: z.number().min(0).max(100).nullable(),
  temperature_c: z.number().nullable(),
  power_draw_w: z.number().min(0).nullable(),
  power_limit_w: z.number().min(0).nullable(),
  throttle_reasons: z.array(ThrottleReasonSchema).nullable(),
  /** Bits set in the mask that this code has no name for, as hex; null when there are none. */
  throttle_unknown_bits: z.string().nullable(),
});
/** One card's sample. */
export type GpuSample = z.infer<typeof GpuSampleSchema>;

/** A line nvidia-smi printed that is not a sample: which line, what it said, and why it was refused. */
export interface ProbeIssue {
  readonly line: number;
  readonly text: string;
  readonly message: string;
}

/**
 * Why a line is no sample: extra columns, a cell that is no number, a reasons cell that is no bitmask, or a value out
 * of range.
 */
export type ParseLineCode = 'too_many_columns' | 'not_a_number' | 'bad_reasons' | 'out_of_range';

/** A parsed line: a sample, or an issue (line, text, message) to report while the other cards' lines still count. */
export type ParsedLine = Result<GpuSample, ParseLineCode, { readonly line: number; readonly text: string }>;

// nvidia-smi writes "[N/A]", "[Not Supported]", "[Unknown Error]" and friends in brackets; some builds write a bare
// N/A.
const isUnavailable = (text: string | undefined): boolean =>
  text === undefined || text === '' || text === 'N/A' || /^\[[^\]]*\]$/.test(text);

const NUMBER = /^-?\d+(\.\d+)?$/;

/** Parse one `--format=csv,noheader,nounits` line of the {@link queryFields} columns. Never throws. */
export function parseSampleLine(text: string, line: number): ParsedLine {
  const refuse = (code: ParseLineCode, message: string): ParsedLine => err(code, message, { line, text });
  const cells = text.split(',').map((cell) => cell.trim());
  const expected = queryFields(REASONS_FIELD).length;
  if (cells.length > expected)
    return refuse('too_many_columns', `${cells.length} columns where ${expected} were asked for`);
  const index = cells[0];
  if (index === undefined || !/^\d+$/.test(index))
    return refuse('not_a_number', `the index column is ${JSON.stringify(index ?? '')}, not a card index`);
  const numbers: (number | null)[] = [];
  for (const [offset, label] of [
    'memory.used',
    'memory.total',
    'utilization.gpu',
    'temperature.gpu',
    'power.draw',
    'power.limit',
  ].entries()) {
    const cell = cells[3 + offset];
    if (isUnavailable(cell)) numbers.push(null);
    else if (cell !== undefined && NUMBER.test(cell)) numbers.push(Number(cell));
    else return refuse('not_a_number', `${label} is ${JSON.stringify(cell)}, not a number`);
  }
  const reasonsCell = cells[9];
  let reasons: GpuSample['throttle_reasons'] = null;
  let unknownBits: string | null = null;
  if (!isUnavailable(reasonsCell) && reasonsCell !== undefined) {
    const decoded = decodeThrottleReasons(reasonsCell);
    if (!decoded.ok)
      return refuse('bad_reasons', `throttle reasons are ${JSON.stringify(decoded.text)}, not a hex bitmask`);
    reasons = decoded.value.reasons;
    unknownBits = decoded.value.unknownBits;
  }
  const textOrNull = (cell: string | undefined): string | null =>
    isUnavailable(cell) || cell === undefined ? null : cell;
  const [memoryUsed, memoryTotal, utilization, temperature, powerDraw, powerLimit] = numbers;
  const candidate = {
    index: Number(index),
    uuid: textOrNull(cells[1]),
    name: textOrNull(cells[2]),
    memory_used_mb: memoryUsed ?? null,
    memory_total_mb: memoryTotal ?? null,
    utilization_pct: utilization ?? null,
    temperature_c: temperature ?? null,
    power_draw_w: powerDraw ?? null,
    power_limit_w: powerLimit ?? null,
    throttle_reasons: reasons,
    throttle_unknown_bits: unknownBits,
  };
  const parsed = GpuSampleSchema.safeParse(candidate);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return refuse('out_of_range', `${first?.path.join('.') ?? 'sample'}: ${first?.message ?? 'invalid'}`);
  }
  return ok(parsed.data);
}

/** Parse nvidia-smi's whole output: one sample per card line, blank lines skipped, bad lines as issues. */
export function parseSampleOutput(stdout: string): { samples: GpuSample[]; issues: ProbeIssue[] } {
  const samples: GpuSample[] = [];
  const issues: ProbeIssue[] = [];
  stdout.split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') return;
    const parsed = parseSampleLine(text, i + 1);
    if (parsed.ok) samples.push(parsed.value);
    else issues.push({ line: parsed.line, text: parsed.text, message: parsed.message });
  });
  return { samples, issues };
}
