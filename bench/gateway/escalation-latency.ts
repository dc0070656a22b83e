// Added latency of a full escalation through the gateway (signature check, validation, redaction, rate limits,
// budget reservation and settlement, outbox, ledger, audit, upstream call, advice parsing) over a direct call to
// the same Anthropic stand-in. Three processes, as in production: the gateway (bench/gateway/gateway-process.mjs)
// and the stand-in (bench/gateway/stand-in.ts) each in their own, the load generator here. Both paths are driven
// from the same open loop at the same fixed rate, interleaved (a direct call half a period after each gateway
// call), so they share whatever the machine is doing. Windows, each lane: 400 warm-up requests, 2,000 "cold" (V8
// still compiling the hot path), 3,600 to settle, 2,000 measured (the steady state the target is about). Bounded
// count, 127.0.0.1 only; both children exit when this process closes their stdin, or dies.
// Run: node -C source --import tsx bench/gateway/escalation-latency.ts
// Env: RIGMIND_BENCH_GATEWAY_FROM=dist runs the compiled gateway (after `npx tsc -b gateway`), with the
// systemd unit's node flags; the default runs its TypeScript source through tsx. RIGMIND_BENCH_GATEWAY_CPU_PROF=DIR
// profiles the gateway process (node --cpu-prof); RIGMIND_BENCH_GATEWAY_NODE_FLAGS adds node flags to it.
// RIGMIND_BENCH_GATEWAY_PROCESS=bare-proxy measures the floor instead: bench/gateway/bare-proxy.mjs in the
// gateway's place, a proxy that does none of its work.
// RIGMIND_BENCH_RATE and RIGMIND_BENCH_REQUESTS change the rate (per lane) and the count of a direct run.
// RIGMIND_BENCH_GATEWAY_QUIET_MS (default 35000; 0 skips it) is how long the gateway is left without requests
// after the window before its resident memory is read again (gateway_quiet_rss_mb).
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { signRequest } from '@rigmind/protocol';
import { buildAdvicePrompt } from '@rigmind/gateway';
import { EscalationRequestSchema, markerFrom, redactDeep } from '@rigmind/protocol';
import Database from 'better-sqlite3';
import { Agent } from 'undici';
import {
  cpuMs,
  gatewayStats,
  openLoop,
  percentile,
  rssMb,
  runQueueWaitMs,
  startChild,
  stopChild,
  type Lane,
} from './bench-tools.js';
import { benchGatewayConfig, ESCALATION_INPUT } from './bench-fixture.js';

/** Settings of one bench run. */
export interface LatencyBenchOptions {
  /** Requests per second on each path (gateway and direct). */
  readonly ratePerSecond?: number;
  /** Requests measured on each path. */
  readonly requests?: number;
  /** Warm-up requests on each path, at the same rate, before the cold window. */
  readonly warmup?: number;
  /**
   * Requests on each path at the same rate between the cold window and the measured (steady-state) one. V8
   * keeps compiling the hot path for several thousand escalations after start, on background threads that take
   * cores from both lanes; the measured window starts once that is over.
   */
  readonly settle?: number;
  /** Run the gateway from its TypeScript source (tsx) or from gateway/dist. */
  readonly from?: 'source' | 'dist';
  /**
   * What stands where the gateway does: the gateway, or `bare-proxy` (bench/gateway/bare-proxy.mjs), a Node proxy
   * that does none of the gateway's work: the floor, what one more process and HTTP hop cost on this machine.
   */
  readonly process?: 'gateway' | 'bare-proxy';
  /**
   * How long the gateway is left without requests after the measured window before its resident memory is read
   * again: long enough (default 35 s) for its WAL checkpoint worker to retire, as it does after 30 s without a
   * burst of writes; 0 skips it.
   */
  readonly quietMs?: number;
}

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

const MODEL = 'claude-bench';

/** Run the bench: both paths interleaved at the same rate, against one stand-in process. */
export async function run(options: LatencyBenchOptions = {}): Promise<BenchResult> {
  const rate = options.ratePerSecond ?? 200;
  const count = options.requests ?? 2_000;
  const warmup = options.warmup ?? 400;
  const settle = options.settle ?? 3_600;
  const from = options.from ?? (process.env.RIGMIND_BENCH_GATEWAY_FROM === 'dist' ? 'dist' : 'source');
  const bare =
    (options.process ?? (process.env.RIGMIND_BENCH_GATEWAY_PROCESS === 'bare-proxy' ? 'bare-proxy' : 'gateway')) ===
    'bare-proxy';
  const here = import.meta.dirname;
  const home = mkdtempSync(join(tmpdir(), 'rigmind-bench-'));
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const logFd = openSync(join(home, 'gateway.log'), 'a');
  const agents = [new Agent({ connections: 256 }), new Agent({ connections: 256 })] as const;
  try {
    const stub = await startChild<{ url: string; apiKey: string }>(
      'stand-in',
      ['-C', 'source', '--import', 'tsx', join(here, 'stand-in.ts')],
      {},
      'inherit',
    );
    children.push(stub.child);
    const config = benchGatewayConfig(stub.ready.url, MODEL);
    const escalation = JSON.stringify(ESCALATION_INPUT);
    // The direct call sends what the gateway sends upstream for this escalation: the same prompt, same size.
    const prompt = buildAdvicePrompt(
      redactDeep(EscalationRequestSchema.parse(ESCALATION_INPUT)),
      markerFrom(Buffer.alloc(16, 7)),
    );
    const upstreamBody = JSON.stringify({
      model: MODEL,
      max_tokens: 256,
      system: prompt.system,
      messages: [{ role: 'user', content: prompt.user }],
    });

    // From dist: the systemd unit's flags. From source: tsx, as gateway/bin/gateway.js runs it.
    const gatewayArgs = from === 'dist' ? ['--max-semi-space-size=1'] : ['-C', 'source', '--import', 'tsx'];
    // RIGMIND_BENCH_GATEWAY_NODE_FLAGS: more node flags for the gateway, after the unit's (a later V8 flag wins).
    gatewayArgs.push(...(process.env.RIGMIND_BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== ''));
    // RIGMIND_BENCH_GATEWAY_CPU_PROF=DIR writes a V8 CPU profile of the gateway process into DIR.
    const profileDir = process.env.RIGMIND_BENCH_GATEWAY_CPU_PROF;
    if (profileDir !== undefined && profileDir !== '')
      gatewayArgs.unshift('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
    const gw = await startChild<{ url: string; rigId: string; secret: string }>(
      'gateway',
      [...gatewayArgs, join(here, bare ? 'bare-proxy.mjs' : 'gateway-process.mjs'), home, JSON.stringify(config)],
      { RIGMIND_GATEWAY_API_KEY: stub.ready.apiKey, ...(bare ? { RIGMIND_BENCH_UPSTREAM_BODY: upstreamBody } : {}) },
      logFd,
    );
    children.push(gw.child);
    const pid = gw.child.pid as number;

    // Both lanes use undici's request API on their own keep-alive pools: the cheapest client there is, so the
    // load generator takes as little CPU as possible from the two processes being measured.
    const gatewayOrigin = new URL(gw.ready.url).origin;
    const standInOrigin = new URL(stub.ready.url).origin;
    const viaGateway = async (): Promise<number> => {
      const headers = signRequest({
        rigId: gw.ready.rigId,
        secret: gw.ready.secret,
        method: 'POST',
        pathWithQuery: '/v1/escalations',
        body: escalation,
        now: Date.now(),
        nonce: randomUUID(),
      });
      const response = await agents[0].request({
        origin: gatewayOrigin,
        path: '/v1/escalations',
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: escalation,
      });
      await response.body.arrayBuffer();
      return response.statusCode;
    };
    const directHeaders = {
      'x-api-key': stub.ready.apiKey,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    };
    const direct = async (): Promise<number> => {
      const response = await agents[1].request({
        origin: standInOrigin,
        path: '/v1/messages',
        method: 'POST',
        headers: directHeaders,
        body: upstreamBody,
      });
      await response.body.arrayBuffer();
      return response.statusCode;
    };

    // Idle: started, then a few health checks, then a second of quiet.
    for (let i = 0; i < 50; i += 1)
      await agents[0]
        .request({ origin: gatewayOrigin, path: '/healthz', method: 'GET' })
        .then((r) => r.body.arrayBuffer());
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRss = rssMb(pid);

    // Warm-up at the measured rate, so connection pools and SQLite pages are warm on both paths.
    const failed = (what: string, lanes: Lane[]): Error =>
      new Error(
        `${what} failed: ${lanes.map((lane) => lane.errors).join(' / ')} errors (see ${join(home, 'gateway.log')})`,
      );
    const warm = await openLoop(warmup, rate, [viaGateway, direct]);
    if (warm.some((lane) => lane.errors > 0)) throw failed('warm-up', warm);
    // The cold window: the first escalations after the warm-up, while V8 is still compiling the gateway's hot path
    // (reported, not the target: a gateway on a Pi runs for days).
    const cold = (await openLoop(count, rate, [viaGateway, direct])) as [Lane, Lane];
    // At the same rate until V8 is done: measured, ~300 functions were still compiled during a window that
    // started after 400 requests, and none to a few dozen after 6,000 (node --trace-opt).
    const settled = await openLoop(settle, rate, [viaGateway, direct]);
    if (settled.some((lane) => lane.errors > 0)) throw failed('settling', settled);

    const stubPid = stub.child.pid as number;
    // By signal: see gateway-process.mjs. The pause lets the gateway take it before the window's first request.
    gw.child.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const cpuBefore = [cpuMs(pid), cpuMs(stubPid), process.cpuUsage(), cpuMs(pid, pid)] as const;
    const waitBefore = [runQueueWaitMs(pid), runQueueWaitMs(stubPid)] as const;
    const [gatewayRun, directRun] = (await openLoop(count, rate, [viaGateway, direct])) as [Lane, Lane];
    const waited = [runQueueWaitMs(pid) - waitBefore[0], runQueueWaitMs(stubPid) - waitBefore[1]] as const;
    const cpuUsed = cpuMs(pid) - cpuBefore[0];
    const mainThreadCpuUsed = cpuMs(pid, pid) - cpuBefore[3];
    const stubCpuUsed = cpuMs(stubPid) - cpuBefore[1];
    const ownCpu = process.cpuUsage(cpuBefore[2]);
    const loadedRss = rssMb(pid);
    const stats = await gatewayStats(gw);
    const quietMs = options.quietMs ?? Number(process.env.RIGMIND_BENCH_GATEWAY_QUIET_MS ?? 35_000);
    let quietRss: number | undefined;
    if (!bare && quietMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      quietRss = rssMb(pid);
    }
    // The upstream part of each measured escalation, as the gateway timed it for its ledger (SDK call to parsed reply).
    let upstream: number[] = [];
    if (!bare) {
      const ledger = new Database(join(home, 'gateway.db'), { readonly: true });
      upstream = (
        ledger.prepare('SELECT latency_ms FROM ledger ORDER BY id DESC LIMIT ?').all(count) as { latency_ms: number }[]
      )
        .map((row) => row.latency_ms)
        .sort((a, b) => a - b);
      ledger.close();
    }

    const d50 = percentile(directRun.latencies, 50);
    const d99 = percentile(directRun.latencies, 99);
    const g50 = percentile(gatewayRun.latencies, 50);
    const g99 = percentile(gatewayRun.latencies, 99);
    const d90 = percentile(directRun.latencies, 90);
    const g90 = percentile(gatewayRun.latencies, 90);
    return {
      name: bare ? 'gateway-escalation-latency-bare-proxy-floor' : 'gateway-escalation-latency',
      metrics: {
        rate_per_s: rate,
        requests: count,
        gateway_from_dist: from === 'dist' ? 1 : 0,
        direct_p50_ms: round(d50),
        direct_p99_ms: round(d99),
        gateway_p50_ms: round(g50),
        gateway_p99_ms: round(g99),
        added_p50_ms: round(g50 - d50),
        added_p99_ms: round(g99 - d99),
        added_p90_ms: round(g90 - d90),
        // The window right after the warm-up, before the JIT has settled: see `settle`.
        cold_added_p50_ms: round(percentile(cold[0].latencies, 50) - percentile(cold[1].latencies, 50)),
        cold_added_p99_ms: round(percentile(cold[0].latencies, 99) - percentile(cold[1].latencies, 99)),
        cold_errors: cold[0].errors + cold[1].errors,
        escalations_before_measured_window: warmup + count + settle,
        direct_errors: directRun.errors,
        gateway_errors: gatewayRun.errors,
        gateway_cpu_ms_per_request: round(cpuUsed / count),
        gateway_main_thread_cpu_ms_per_request: round(mainThreadCpuUsed / count),
        // V8's compiler and GC helpers, the WAL checkpoint thread, libuv's pool: small once V8 has compiled the
        // hot path; large means the measured window was not yet steady.
        gateway_other_threads_cpu_ms_per_request: round((cpuUsed - mainThreadCpuUsed) / count),
        // Per round (one gateway call and one direct call), for judging how loaded the machine was.
        stand_in_cpu_ms_per_round: round(stubCpuUsed / count),
        // How long the main thread, runnable, waited for one of the machine's cores: the machine's share of a delay.
        gateway_run_queue_wait_ms_per_request: round(waited[0] / count),
        stand_in_run_queue_wait_ms_per_round: round(waited[1] / count),
        load_generator_cpu_ms_per_round: round((ownCpu.user + ownCpu.system) / 1000 / count),
        // Over the measured run, inside the gateway: from Node's request event to the response's end (all routes,
        // escalations and nothing else in the measured run), how late a 20 ms timer ran (0: never blocked), GCs.
        gateway_inside_p50_ms: stats.inside_p50_ms ?? Number.NaN,
        gateway_inside_p99_ms: stats.inside_p99_ms ?? Number.NaN,
        gateway_upstream_call_p50_ms: round(percentile(upstream, 50)),
        gateway_upstream_call_p99_ms: round(percentile(upstream, 99)),
        gateway_loop_delay_p99_ms: stats.loop_delay_p99_ms ?? Number.NaN,
        gateway_loop_delay_max_ms: stats.loop_delay_max_ms ?? Number.NaN,
        gateway_gc_count: stats.gc_count ?? Number.NaN,
        gateway_gc_ms: stats.gc_ms ?? Number.NaN,
        gateway_gc_max_ms: stats.gc_max_ms ?? Number.NaN,
        gateway_idle_rss_mb: idleRss,
        gateway_loaded_rss_mb: loadedRss,
        ...(quietRss === undefined
          ? {}
          : { gateway_quiet_rss_mb: quietRss, gateway_quiet_after_s: Math.round(quietMs / 1000) }),
      },
    };
  } finally {
    await Promise.all([...children].reverse().map((child) => stopChild(child)));
    process.removeListener('exit', killAll);
    await Promise.all(agents.map((agent) => agent.close()));
    closeSync(logFd);
    rmSync(home, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Direct runs may set the rate and count: RIGMIND_BENCH_RATE=20 RIGMIND_BENCH_REQUESTS=400.
  const rate = Number(process.env.RIGMIND_BENCH_RATE ?? 200);
  const requests = Number(process.env.RIGMIND_BENCH_REQUESTS ?? 2_000);
  const result = await run({ ratePerSecond: rate, requests, warmup: Math.min(400, requests) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
