// What the escalation-latency bench sends: the gateway's config (limits and budgets out of the way, so the bench
// measures the gateway's work, not its refusals) and one escalation of a realistic size.
import { SONNET_LIKE_PRICE } from '../../test/gateway/sonnet-price.js';

/** A model's price in the benches' configs: the tests' own. */
export const BENCH_PRICE = SONNET_LIKE_PRICE;

/** The gateway config for a bench run against the stand-in at `upstreamUrl`. */
export function benchGatewayConfig(upstreamUrl: string, model: string) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { base_url: upstreamUrl, max_concurrency: 64 },
    models: { allowed: [model], default: model },
    rate_limits: { per_rig: { concurrency: 256, requests_per_minute: 1_000_000, queue: 256 } },
    budgets: { overall: { daily_usd: 1e6, monthly_usd: 1e6 }, per_rig: { daily_usd: 1e6, monthly_usd: 1e6 } },
    prices: {
      version: 'bench',
      models: {
        [model]: [BENCH_PRICE],
      },
    },
  };
}

/** The escalation every bench request carries: a task, one failed attempt and 40 lines of untrusted log. */
export const ESCALATION_INPUT = {
  task: {
    task_id: 'bench-1',
    name: 'bench',
    type: 'llm',
    task_class: 'llm',
    prompt: 'Summarise the log below in one line.',
  },
  reason: 'repeated_failure',
  instructions: 'Summarise in one sentence.',
  untrusted: [{ label: 'log', content: 'line of log output\n'.repeat(40) }],
  attempts: [{ attempt: 1, model: 'qwen:7b', error_snippet: 'timeout after 120 s' }],
  max_tokens: 256,
};
