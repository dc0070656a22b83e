// Added latency of a full escalation through the gateway (signature check, validation, redaction, budget
// reservation and settlement, audit, upstream call, advice parsing) over a direct call to the same stand-in.
// Open loop at a fixed rate, bounded count. Run: node -C source --import tsx bench/gateway/escalation-latency.ts
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { signRequest } from '@rigmind/protocol';
import { createGateway, createGatewayLogger, GatewayConfigSchema, listenGateway } from '@rigmind/gateway';
import { Agent, fetch } from 'undici';
import { startAnthropicStub } from '../../test/fixtures/anthropic-stub/anthropic-stub.js';

/** Settings of one bench run. */
export interface LatencyBenchOptions {
  readonly ratePerSecond?: number;
  readonly requests?: number;
}

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Fire `count` calls at `rate` per second (open loop: late calls do not delay the next) and collect latencies in ms. */
async function openLoop(count: number, rate: number, call: () => Promise<number>): Promise<{ latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    pending.push(
      call().then(
        (status) => {
          if (status === 200) latencies.push(performance.now() - sent);
          else errors += 1;
        },
        () => {
          errors += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

/** Run the bench: direct phase, then gateway phase, same stand-in, same rate and count. */
export async function run(options: LatencyBenchOptions = {}): Promise<BenchResult> {
  const rate = options.ratePerSecond ?? 200;
  const count = options.requests ?? 2_000;
  const home = mkdtempSync(join(tmpdir(), 'rigmind-bench-'));
  const stub = await startAnthropicStub();
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const config = GatewayConfigSchema.parse({
    upstream: { base_url: stub.url, max_concurrency: 64 },
    models: { allowed: ['claude-bench'], default: 'claude-bench' },
    rate_limits: { per_rig: { concurrency: 256, requests_per_minute: 1_000_000, queue: 256 } },
    budgets: { overall: { daily_usd: 1e6, monthly_usd: 1e6 }, per_rig: { daily_usd: 1e6, monthly_usd: 1e6 } },
    prices: { version: 'bench', models: { 'claude-bench': [{ effective_from: '2020-01-01', input: 3, output: 15, cache_write_5m: 3.75, cache_write_1h: 6, cache_read: 0.3 }] } },
  });
  // Logging stays on at info, as in production, into a sink.
  const gateway = createGateway({ home, config, apiKey: stub.apiKey, logger: createGatewayLogger({ level: 'info', destination: sink }) });
  const added = gateway.registry.add('bench');
  if (!added.ok) throw new Error(added.message);
  const server = await listenGateway(gateway, '127.0.0.1', 0);
  const agent = new Agent({ connections: 256 });
  const escalation = JSON.stringify({
    task: { task_id: 'bench-1', name: 'bench', type: 'llm', task_class: 'llm', prompt: 'Summarise the log below in one line.' },
    reason: 'repeated_failure',
    instructions: 'Summarise in one sentence.',
    untrusted: [{ label: 'log', content: 'line of log output\n'.repeat(40) }],
    attempts: [{ attempt: 1, model: 'qwen:7b', error_snippet: 'timeout after 120 s' }],
    max_tokens: 256,
  });
  const viaGateway = async (): Promise<number> => {
    const headers = signRequest({ rigId: added.rigId, secret: added.secret, method: 'POST', pathWithQuery: '/v1/escalations', body: escalation, now: Date.now(), nonce: randomUUID() });
    const response = await fetch(`${server.url}/v1/escalations`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: escalation, dispatcher: agent });
    await response.arrayBuffer();
    return response.status;
  };
  try {
    // Warm up both paths; the gateway's upstream body becomes the direct call's body, so both send the same bytes upstream.
    for (let i = 0; i < 50; i += 1) await viaGateway();
    const upstreamBody = stub.received.at(-1)?.body ?? '';
    const direct = async (): Promise<number> => {
      const response = await fetch(`${stub.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': stub.apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: upstreamBody,
        dispatcher: agent,
      });
      await response.arrayBuffer();
      return response.status;
    };
    for (let i = 0; i < 50; i += 1) await direct();
    stub.received.length = 0;

    const directRun = await openLoop(count, rate, direct);
    stub.received.length = 0;
    const gatewayRun = await openLoop(count, rate, viaGateway);
    const d50 = percentile(directRun.latencies, 50);
    const d99 = percentile(directRun.latencies, 99);
    const g50 = percentile(gatewayRun.latencies, 50);
    const g99 = percentile(gatewayRun.latencies, 99);
    return {
      name: 'gateway-escalation-latency',
      metrics: {
        rate_per_s: rate,
        requests: count,
        direct_p50_ms: round(d50),
        direct_p99_ms: round(d99),
        gateway_p50_ms: round(g50),
        gateway_p99_ms: round(g99),
        added_p50_ms: round(g50 - d50),
        added_p99_ms: round(g99 - d99),
        direct_errors: directRun.errors,
        gateway_errors: gatewayRun.errors,
        gateway_rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024),
      },
    };
  } finally {
    await server.close();
    await agent.close();
    await stub.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
