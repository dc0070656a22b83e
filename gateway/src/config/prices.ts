import { z } from 'zod';

/** Prices of one model from one date on, in USD per million tokens, with Anthropic's cache tiers. */
export const ModelPriceSchema = z.strictObject({
  /** First UTC day (YYYY-MM-DD) these prices apply. */
  effective_from: z.iso.date(),
  input: z.number().min(0),
  output: z.number().min(0),
  cache_write_5m: z.number().min(0),
  cache_write_1h: z.number().min(0),
  cache_read: z.number().min(0),
});
/** One dated price entry. */
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/**
 * The price table: data, versioned, so a price change is a config edit recorded on every ledger row. It also
 * carries each model's retirement day (Anthropic's model deprecations page): from that UTC day on, requests to the
 * model fail upstream, so the gateway refuses it at start rather than paying for errors.
 */
export const PriceTableSchema = z.strictObject({
  version: z.string().min(1).max(64),
  models: z.record(z.string().min(1), z.array(ModelPriceSchema).min(1)),
  retirements: z.record(z.string().min(1), z.iso.date()).default({}),
});
/** The price table. */
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** Token counts of one call, split the way Anthropic bills them. */
export interface TokenUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheWrite5m: number;
  readonly cacheWrite1h: number;
  readonly cacheRead: number;
}

/** The price entry in force for `model` on `day` (YYYY-MM-DD), or undefined when the table has none. */
export function priceFor(table: PriceTable, model: string, day: string): ModelPrice | undefined {
  const entries = table.models[model];
  if (entries === undefined) return undefined;
  let best: ModelPrice | undefined;
  for (const entry of entries) {
    if (entry.effective_from <= day && (best === undefined || entry.effective_from > best.effective_from)) best = entry;
  }
  return best;
}

/** Cost in micro-USD (integers, so sums and cap checks are exact). Rounded up: a budget errs towards spending less. */
export function costMicroUsd(price: ModelPrice, usage: TokenUsage): number {
  // USD per million tokens equals micro-USD per token.
  const micro =
    usage.input * price.input +
    usage.output * price.output +
    usage.cacheWrite5m * price.cache_write_5m +
    usage.cacheWrite1h * price.cache_write_1h +
    usage.cacheRead * price.cache_read;
  return Math.ceil(micro - 1e-9);
}

/** Micro-USD as USD. */
export function microToUsd(micro: number): number {
  return micro / 1_000_000;
}

/** USD as micro-USD, rounded down (a cap never grows by rounding). */
export function usdToMicro(usd: number): number {
  return Math.floor(usd * 1_000_000 + 1e-6);
}
