import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { signRequest, systemRuntime, type EscalationRequestInput } from '@rigmind/protocol';
import {
  createGateway,
  createGatewayLogger,
  GatewayConfigSchema,
  listenGateway,
  type Gateway,
  type GatewayConfig,
  type GatewayConfigInput,
  type RunningGateway,
} from '@rigmind/gateway';
import {
  startAnthropicStub,
  type AnthropicStub,
  type AnthropicStubOptions,
} from '../fixtures/anthropic-stub/anthropic-stub.js';
import { SONNET_LIKE_PRICE } from './sonnet-price.js';

/** The model every test config allows. */
export const TEST_MODEL = 'claude-test-1';

/** A config for tests: small backoffs, generous limits, prices of $3/$15 per MTok. */
export function testConfig(upstreamUrl: string, overrides: Partial<GatewayConfigInput> = {}): GatewayConfig {
  return GatewayConfigSchema.parse({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { base_url: upstreamUrl, timeout_ms: 2_000, max_concurrency: 8, max_wait_ms: 1_000 },
    models: { allowed: [TEST_MODEL, 'claude-test-2'], default: TEST_MODEL },
    max_tokens_cap: 1_024,
    retry: { attempts: 4, base_ms: 5, cap_ms: 20, max_retry_after_ms: 2_000 },
    outbox: { poll_ms: 20, base_ms: 20, cap_ms: 100, max_attempts: 50, lease_ms: 5_000, batch: 5 },
    rate_limits: { per_rig: { concurrency: 64, requests_per_minute: 10_000, queue: 64 } },
    budgets: { overall: { daily_usd: 100, monthly_usd: 1_000 }, per_rig: { daily_usd: 100, monthly_usd: 1_000 } },
    prices: {
      version: 'test-2025-01',
      models: {
        [TEST_MODEL]: [SONNET_LIKE_PRICE],
        'claude-test-2': [
          {
            effective_from: '2020-01-01',
            input: 1,
            output: 5,
            cache_write_5m: 1.25,
            cache_write_1h: 2,
            cache_read: 0.1,
          },
        ],
      },
    },
    ...overrides,
  });
}

/**
 * `testConfig` with an outbox that waits a minute between deliveries: an escalation it defers then sits in the
 * outbox between tries (as it mostly does in production) instead of being retried every few milliseconds.
 */
export function quietOutboxConfig(upstreamUrl: string): GatewayConfig {
  return testConfig(upstreamUrl, {
    outbox: { poll_ms: 20, base_ms: 60_000, cap_ms: 60_000, max_attempts: 50, lease_ms: 5_000, batch: 5 },
  });
}

/**
 * `patientOutboxConfig`'s outbox waits between deliveries: each wait is at least half its base (the service's floor).
 */
const PATIENT_OUTBOX = { poll_ms: 20, base_ms: 1_000, cap_ms: 1_000, lease_ms: 5_000, batch: 5 };

/**
 * `testConfig` with an outbox that tries again every 0.5-1 s but gives up no sooner than `holdMs` after its first
 * delivery: a give-up is a count of deliveries (`max_attempts`), and 50 of `testConfig`'s 10-100 ms waits last
 * about 4 s, less than one CLI process takes to start on a saturated machine. Each wait is at least `base_ms / 2`,
 * so `holdMs / (base_ms / 2)` waits, plus the first delivery, outlast `holdMs` however fast the deliveries fail.
 * Give it the test's own timeout and the escalation stays pending for as long as the test can look at it.
 */
export function patientOutboxConfig(holdMs: number): (upstreamUrl: string) => GatewayConfig {
  const max_attempts = Math.ceil(holdMs / (PATIENT_OUTBOX.base_ms / 2)) + 1;
  return (upstreamUrl) => testConfig(upstreamUrl, { outbox: { ...PATIENT_OUTBOX, max_attempts } });
}

/** Lines pino wrote, captured in memory. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
    callback();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/** A rig credential as issued. */
export interface TestRig {
  readonly rigId: string;
  readonly name: string;
  readonly secret: string;
}

/** A running stub, gateway and one rig, with helpers to send signed requests. */
export interface Harness {
  readonly home: string;
  readonly stub: AnthropicStub;
  gateway: Gateway;
  server: RunningGateway;
  readonly rig: TestRig;
  readonly logs: LogCapture;
  /** Send a signed request as the test rig (or `as`). */
  signed(method: string, path: string, body?: unknown, as?: TestRig): Promise<Response>;
  /** Stop the gateway and start a new one on the same home (a restart). */
  restart(config?: GatewayConfig): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  readonly config?: (upstreamUrl: string) => GatewayConfig;
  readonly stub?: AnthropicStubOptions;
  /** The gateway's sleep (backoffs and waits), to act at the moment a delivery backs off. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Start everything on 127.0.0.1 in a fresh temp home. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const home = mkdtempSync(join(tmpdir(), 'rigmind-gw-'));
  const stub = await startAnthropicStub(options.stub);
  const logs = new LogCapture();
  const logger = createGatewayLogger({ level: 'debug', destination: logs });
  let config = options.config?.(stub.url) ?? testConfig(stub.url);
  const runtime = options.sleep === undefined ? systemRuntime : { ...systemRuntime, sleep: options.sleep };
  const build = (): Gateway => createGateway({ home, config, apiKey: stub.apiKey, logger, runtime });
  let gateway = build();
  const added = gateway.registry.add('rig-a');
  if (!added.ok) throw new Error(added.message);
  const rig = { rigId: added.value.rigId, name: added.value.name, secret: added.value.secret };
  let server = await listenGateway(gateway, '127.0.0.1', 0);

  const harness: Harness = {
    home,
    stub,
    gateway,
    server,
    rig,
    logs,
    async signed(method, path, body, as = rig) {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const headers = signRequest({
        rigId: as.rigId,
        secret: as.secret,
        method,
        pathWithQuery: path,
        body: text,
        now: Date.now(),
        nonce: randomUUID(),
      });
      return fetch(`${harness.server.url}${path}`, {
        method,
        headers: { ...headers, ...(text === '' ? {} : { 'content-type': 'application/json' }) },
        ...(text === '' ? {} : { body: text }),
      });
    },
    async restart(next) {
      await harness.server.close();
      if (next !== undefined) config = next;
      gateway = build();
      harness.gateway = gateway;
      server = await listenGateway(gateway, '127.0.0.1', 0);
      harness.server = server;
    },
    async close() {
      await harness.server.close();
      await stub.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A minimal valid escalation request; overrides may be invalid on purpose. */
export function escalationBody(overrides: Record<string, unknown> = {}): EscalationRequestInput {
  return {
    task: {
      task_id: 'task-1',
      name: 'summarise',
      type: 'llm',
      task_class: 'llm',
      prompt: 'Summarise the attached report.',
    },
    reason: 'repeated_failure',
    instructions: 'Summarise the report in three sentences.',
    untrusted: [{ label: 'report', content: 'Quarterly numbers were fine.' }],
    attempts: [{ attempt: 1, model: 'qwen:7b', error_snippet: 'context too long' }],
    max_tokens: 256,
    ...overrides,
  } as EscalationRequestInput;
}
