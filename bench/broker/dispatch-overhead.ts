// Broker overhead: N short shell tasks (`true`) through a real brain and 2 real workers, against the same N
// commands spawned directly with execa at the same concurrency, in one run; plus dispatch latency and the
// time to accept a 10,000-task plan. Run: node -C source --import tsx bench/broker/dispatch-overhead.ts
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { join } from 'node:path';
import { REPO, RigHarness } from '../../test/helpers/rig-harness.js';

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

/** Settings of one run. */
export interface BrokerBenchOptions {
  readonly tasks?: number;
  readonly workers?: number;
  readonly bigPlan?: number;
  /** The brain's prefetch setting (tasks held by a worker beyond its slots); the rig's default if unset. */
  readonly prefetch?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * The baseline: the same commands, through a shell as the rig runs them, `concurrency` at a time, spawned with
 * execa by a plain Node process like the rig's own (both run built JavaScript, so neither pays tsx's heavier fork).
 */
async function direct(count: number, concurrency: number): Promise<number> {
  const result = await execa(process.execPath, [join(import.meta.dirname, 'direct-spawn.mjs'), String(count), String(concurrency)]);
  return Number(result.stdout.trim());
}

/** Run the broker bench. */
export async function run(options: BrokerBenchOptions = {}): Promise<BenchResult> {
  const count = options.tasks ?? 400;
  const workers = options.workers ?? 2;
  const bigPlan = options.bigPlan ?? 10_000;
  // What is measured is what is deployed: brain and workers run the built JavaScript.
  await execa('npx', ['tsc', '-b'], { cwd: REPO });
  const rig = new RigHarness({ heartbeatMs: 1_000, dist: true, ...(options.prefetch !== undefined ? { extraConfig: { prefetch: options.prefetch } } : {}) });
  try {
    await rig.startBrain();
    for (let i = 1; i <= workers; i += 1) await rig.startWorker(`w${i}`, ['--slots', '1']);
    // Warm both paths once so neither pays first-spawn costs inside the measurement.
    await direct(10, workers);
    const plan = (n: number, name: string): Plan => ({ plan: name, tasks: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, command: 'true', max_retries: 0 })) });
    const warm = await rig.client.request('submit_plan', { plan: plan(10, 'warm') });
    if (!warm.ok) throw new Error(warm.message);
    await rig.finished((warm.reply as MessageOf<'plan_accepted'>).plan_id, 60_000);

    // Three rounds, alternating, and the median: on a shared machine one round is at the mercy of its neighbours.
    const rounds: { direct: number; rig: number }[] = [];
    let lastPlan: string;
    for (let round = 0; round < 3; round += 1) {
      const directMs = await direct(count, workers);
      const started = performance.now();
      const submitted = await rig.client.request('submit_plan', { plan: plan(count, `bench-${round}`) }, 60_000);
      if (!submitted.ok) throw new Error(submitted.message);
      lastPlan = (submitted.reply as MessageOf<'plan_accepted'>).plan_id;
      let state = 'running';
      while (state === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const status = await rig.client.request('status_request', { plan_id: lastPlan, include_tasks: false });
        if (status.ok && status.reply.kind === 'status_reply') state = status.reply.plans[0]?.state ?? 'running';
      }
      if (state !== 'completed') throw new Error(`bench plan ended ${state}`);
      rounds.push({ direct: directMs, rig: performance.now() - started });
    }
    const ratios = rounds.map((r) => r.rig / r.direct).sort((a, b) => a - b);
    const median = rounds.slice().sort((a, b) => a.rig / a.direct - b.rig / b.direct)[1] as { direct: number; rig: number };

    // Dispatch latency: a chain of tasks, each released by its predecessor's completion, so every hop is a full
    // round trip (worker result -> brain: record, release, lease -> worker). Per hop: the time between two
    // completions minus the second task's own run time as its worker measured it (which includes the spawn).
    const chain = await rig.client.request('submit_plan', { plan: { plan: 'chain', tasks: Array.from({ length: 200 }, (_, i) => ({ name: `c${i}`, command: 'true', ...(i > 0 ? { depends_on: [`c${i - 1}`] } : {}) })) } }, 60_000);
    if (!chain.ok) throw new Error(chain.message);
    const chainId = (chain.reply as MessageOf<'plan_accepted'>).plan_id;
    await rig.finished(chainId, 120_000);
    const latencies = rig.readDb((db) =>
      (db
        .prepare(
          `SELECT (julianday(n.ts) - julianday(c.ts)) * 86400000.0 - a.elapsed_seconds * 1000.0 AS ms
           FROM events c JOIN tasks p ON p.task_id = c.task_id
           JOIN tasks t ON t.plan_id = c.plan_id AND t.depends_on = json_array(p.name)
           JOIN events n ON n.task_id = t.task_id AND n.event_type = 'task_completed'
           JOIN attempts a ON a.task_id = t.task_id AND a.outcome = 'completed'
           WHERE c.plan_id = ? AND c.event_type = 'task_completed'`,
        )
        .pluck()
        .all(chainId) as number[]).sort((a, b) => a - b),
    );

    // Acceptance of a big plan: validation, ordering, one SQLite transaction, the reply. No workers take it.
    const bigStart = performance.now();
    const big = await rig.client.request('submit_plan', { plan: { plan: 'big', tasks: Array.from({ length: bigPlan }, (_, i) => ({ name: `t${i}`, command: 'true', depends_on: i === 0 ? [] : [`t${i - 1}`] })) } }, 60_000);
    const bigMs = performance.now() - bigStart;
    if (!big.ok) throw new Error(big.message);

    return {
      name: 'broker',
      metrics: {
        tasks: count,
        workers,
        direct_ms: Math.round(median.direct),
        rig_ms: Math.round(median.rig),
        ratio: Number((median.rig / median.direct).toFixed(3)),
        ratio_min: Number((ratios[0] ?? NaN).toFixed(3)),
        ratio_max: Number((ratios[2] ?? NaN).toFixed(3)),
        dispatch_hops: latencies.length,
        dispatch_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
        dispatch_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
        accept_10k_plan_ms: Math.round(bigMs),
      },
    };
  } finally {
    await rig.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
