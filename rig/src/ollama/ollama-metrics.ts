import type { Usage } from './ollama-schemas.js';

/** What every Ollama reply is recorded as: its counters in nanoseconds, and the rates derived from them. */
export interface OllamaMetrics {
  readonly total_duration_ns: number | null;
  readonly load_duration_ns: number | null;
  readonly prompt_eval_count: number | null;
  readonly prompt_eval_duration_ns: number | null;
  readonly eval_count: number | null;
  readonly eval_duration_ns: number | null;
  /** Generation speed: eval_count / eval_duration * 1e9, as Ollama's docs define it; null without both. */
  readonly tokens_per_second: number | null;
  /** Prompt processing speed, the same way. */
  readonly prompt_tokens_per_second: number | null;
}

const rate = (count: number | undefined, durationNs: number | undefined): number | null =>
  count === undefined || durationNs === undefined || durationNs <= 0 ? null : (count / durationNs) * 1e9;

/** Metrics from a final chunk or a non-streamed reply. Load-only replies carry no counters: all null. */
export function metricsFrom(usage: Usage): OllamaMetrics {
  return {
    total_duration_ns: usage.total_duration ?? null,
    load_duration_ns: usage.load_duration ?? null,
    prompt_eval_count: usage.prompt_eval_count ?? null,
    prompt_eval_duration_ns: usage.prompt_eval_duration ?? null,
    eval_count: usage.eval_count ?? null,
    eval_duration_ns: usage.eval_duration ?? null,
    tokens_per_second: rate(usage.eval_count, usage.eval_duration),
    prompt_tokens_per_second: rate(usage.prompt_eval_count, usage.prompt_eval_duration),
  };
}
