import type { GatewayConfigInput } from './config-schema.js';

/**
 * The config `rigmind-gateway init` writes, the same as deploy/gateway/config.example.json (a test keeps them equal):
 * a current model, modest caps, and list prices. Caps and models are the operator's to check before serving.
 */
export const DEFAULT_CONFIG: GatewayConfigInput = {
  $comment: 'Every key is explained in docs/gateway.md, Configuration. Prices: USD per MTok; days: UTC.',
  listen: {
    host: '0.0.0.0',
    port: 8787,
  },
  upstream: {
    base_url: 'https://api.anthropic.com',
    api_key_file: 'anthropic_api_key',
    timeout_ms: 120000,
    max_concurrency: 2,
    max_wait_ms: 30000,
  },
  models: {
    allowed: ['claude-sonnet-5', 'claude-haiku-4-5'],
    default: 'claude-sonnet-5',
  },
  max_tokens_cap: 4096,
  body_limit_bytes: 1048576,
  auth: {
    max_skew_ms: 300000,
    refusals_recorded_per_minute: 60,
  },
  retry: {
    attempts: 4,
    base_ms: 500,
    cap_ms: 20000,
    max_retry_after_ms: 60000,
  },
  outbox: {
    poll_ms: 5000,
    base_ms: 10000,
    cap_ms: 900000,
    max_attempts: 200,
    lease_ms: 600000,
    batch: 5,
  },
  rate_limits: {
    per_rig: {
      concurrency: 2,
      requests_per_minute: 30,
      queue: 8,
    },
  },
  budgets: {
    overall: {
      daily_usd: 10,
      monthly_usd: 100,
    },
    per_rig: {
      daily_usd: 5,
      monthly_usd: 60,
    },
    bytes_per_token_estimate: 2,
  },
  prices: {
    version: '2026-12-anthropic-list',
    models: {
      'claude-sonnet-5': [
        {
          effective_from: '2026-06-30',
          input: 2,
          output: 10,
          cache_write_5m: 2.5,
          cache_write_1h: 4,
          cache_read: 0.2,
        },
      ],
      'claude-haiku-4-5': [
        {
          effective_from: '2025-10-15',
          input: 1,
          output: 5,
          cache_write_5m: 1.25,
          cache_write_1h: 2,
          cache_read: 0.1,
        },
      ],
    },
    retirements: {
      'claude-sonnet-4-5': '2026-11-30',
      'claude-opus-4-5': '2027-01-22',
    },
  },
};
