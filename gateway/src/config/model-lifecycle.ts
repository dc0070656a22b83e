import type { PriceTable } from './prices.js';

/** Anthropic gives at least 60 days' notice of a retirement; warning from then leaves that whole window to move. */
export const RETIREMENT_WARNING_DAYS = 60;

/**
 * Retirement days Anthropic has announced (its model deprecations page, read 2026-12-04), so a config written before
 * an announcement is still checked. A config's `prices.retirements` adds models and overrides these days.
 */
export const KNOWN_RETIREMENTS: Readonly<Record<string, string>> = {
  'claude-3-5-sonnet-20240620': '2025-10-22',
  'claude-3-5-sonnet-20241022': '2025-10-22',
  'claude-3-7-sonnet-20250219': '2026-02-19',
  'claude-sonnet-4-20250514': '2026-06-15',
  'claude-opus-4-20250514': '2026-06-15',
  'claude-sonnet-4-5': '2026-11-30',
  'claude-sonnet-4-5-20250929': '2026-11-30',
  'claude-opus-4-5': '2027-01-22',
  'claude-opus-4-5-20251101': '2027-01-22',
};

/** An allowed model's retirement as seen on one day. */
export interface ModelRetirement {
  readonly model: string;
  readonly retiresOn: string;
  /** Whole days from `today` to the retirement day; 0 or less means retired. */
  readonly daysLeft: number;
}

/** Allowed models that are retired on `today` (YYYY-MM-DD) and those retiring within the warning window. */
export function modelLifecycle(
  table: PriceTable,
  allowed: readonly string[],
  today: string,
): { readonly retired: readonly ModelRetirement[]; readonly retiring: readonly ModelRetirement[] } {
  const retired: ModelRetirement[] = [];
  const retiring: ModelRetirement[] = [];
  for (const model of allowed) {
    const retiresOn = table.retirements[model] ?? KNOWN_RETIREMENTS[model];
    if (retiresOn === undefined) continue;
    const daysLeft = Math.round((Date.parse(retiresOn) - Date.parse(today)) / 86_400_000);
    if (daysLeft <= 0) retired.push({ model, retiresOn, daysLeft });
    else if (daysLeft <= RETIREMENT_WARNING_DAYS) retiring.push({ model, retiresOn, daysLeft });
  }
  return { retired, retiring };
}
