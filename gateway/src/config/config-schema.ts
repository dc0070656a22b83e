import { systemRuntime } from '@rigmind/protocol';
import { ESCALATION_LIMITS } from '@rigmind/protocol';
import { z } from 'zod';
import { modelLifecycle } from './model-lifecycle.js';
import { PriceTableSchema, priceFor } from './prices.js';

const usdCaps = z.strictObject({
  daily_usd: z.number().min(0),
  monthly_usd: z.number().min(0),
});

/**
 * The gateway's config.json. Budgets, models and prices have no defaults: spending money is always an explicit choice.
 */
export const GatewayConfigSchema = z
  .strictObject({
    /** Free text for whoever reads the file (JSON has no comments); ignored. */
    $comment: z.string().max(2_000).optional(),
    listen: z
      .strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.int().min(0).max(65_535).default(8787) })
      .prefault({}),
    upstream: z.strictObject({
      /** Explicit, so a stray ANTHROPIC_BASE_URL in the environment can never redirect the API key. */
      base_url: z.url({ protocol: /^https?$/ }),
      /** File holding the API key (e.g. from systemd LoadCredential=); else RIGMIND_GATEWAY_API_KEY. */
      api_key_file: z.string().min(1).optional(),
      timeout_ms: z.int().min(1).default(60_000),
      max_concurrency: z.int().min(1).max(64).default(4),
      /** Longest the gateway waits for Anthropic's rate-limit window before treating upstream as unavailable. */
      max_wait_ms: z.int().min(0).default(30_000),
    }),
    models: z.strictObject({
      allowed: z.array(z.string().min(1)).min(1),
      default: z.string().min(1),
    }),
    max_tokens_cap: z.int().min(1).max(ESCALATION_LIMITS.maxTokens).default(4_096),
    body_limit_bytes: z
      .int()
      .min(1_024)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024),
    auth: z
      .strictObject({
        max_skew_ms: z
          .int()
          .min(1_000)
          .max(15 * 60_000)
          .default(5 * 60_000),
        /** Unauthenticated refusals per client address and minute recorded one by one; more are counted. */
        refusals_recorded_per_minute: z.int().min(1).max(100_000).default(60),
      })
      .prefault({}),
    retry: z
      .strictObject({
        attempts: z.int().min(1).max(10).default(4),
        base_ms: z.int().min(0).default(500),
        cap_ms: z.int().min(0).default(20_000),
        /** A retry-after longer than this ends the retry loop (the outbox takes over). */
        max_retry_after_ms: z.int().min(0).default(60_000),
      })
      .prefault({}),
    outbox: z
      .strictObject({
        poll_ms: z.int().min(10).default(5_000),
        base_ms: z.int().min(0).default(10_000),
        cap_ms: z
          .int()
          .min(0)
          .default(15 * 60_000),
        max_attempts: z.int().min(1).default(200),
        /** How long an escalation being worked on is leased before the outbox may take it over (after a crash). */
        lease_ms: z
          .int()
          .min(1_000)
          .default(10 * 60_000),
        batch: z.int().min(1).max(100).default(5),
      })
      .prefault({}),
    rate_limits: z
      .strictObject({
        per_rig: z
          .strictObject({
            concurrency: z.int().min(1).default(2),
            requests_per_minute: z.int().min(1).default(30),
            /** Requests allowed to wait for a concurrency slot; more are refused with 429. */
            queue: z.int().min(0).default(8),
          })
          .prefault({}),
      })
      .prefault({}),
    budgets: z.strictObject({
      overall: usdCaps,
      per_rig: usdCaps,
      /** UTF-8 bytes per input token used to estimate a request's worst case; low is conservative. */
      bytes_per_token_estimate: z.number().min(0.5).max(8).default(2),
    }),
    prices: PriceTableSchema,
  })
  .superRefine((config, ctx) => {
    // A schema is a constant, so it reads the system clock (through the runtime); a loader taking today is next.
    const today = new Date(systemRuntime.now()).toISOString().slice(0, 10);
    if (!config.models.allowed.includes(config.models.default)) {
      ctx.addIssue({
        code: 'custom',
        path: ['models', 'default'],
        message: 'the default model must be in models.allowed',
      });
    }
    config.models.allowed.forEach((model, index) => {
      if (priceFor(config.prices, model, today) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', 'allowed', index],
          message: `no price in force today for ${model}`,
        });
      }
    });
    // A retired model only earns errors upstream: refused here, naming it and its day, so serve never starts on it.
    for (const { model, retiresOn } of modelLifecycle(config.prices, config.models.allowed, today).retired) {
      const index = config.models.allowed.indexOf(model);
      ctx.addIssue({
        code: 'custom',
        path: ['models', 'allowed', index],
        message:
          `${model} was retired on ${retiresOn}: remove it from models.allowed (and models.default) ` +
          'and pick a current model',
      });
    }
  });
/** The gateway's config as parsed (defaults applied). */
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
/** The gateway's config as written. */
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
