// Broker overhead: N short shell tasks (`true`) through a real brain and 2 real workers, against the same N
// commands spawned directly with execa at the same concurrency, in one run; plus dispatch latency and the
// time to accept a 10,000-task plan. Run: node -C source --import tsx bench/broker/dispatch-overhead.ts
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { join } from 'node:path';
import { EventSubscriber } from '../../rig/src/transport/zmq.js';
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

const PLAN_ENDS = ['plan_completed', 'plan_failed', 'plan_canceled'];

/**
 * Submit a plan and wait for its end as `rigmind submit --wait` hears it, from the brain's event stream: polling
 * status would put load on the very brain being measured. Returns the plan id, its end (event type) and the ms taken.
 */
async function runPlan(
  rig: RigHarness,
  plan: Plan,
  timeoutMs = 120_000,
): Promise<{ planId: string; end: string; ms: number }> {
  const subscriber = new EventSubscriber();
  subscriber.connect(rig.pub, PLAN_ENDS);
  // A SUB socket's subscription reaches the PUB a moment after connecting; an end published before would be missed.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const timer = setTimeout(() => subscriber.close(), timeoutMs);
  try {
    const started = performance.now();
    const submitted = await rig.client.request('submit_plan', { plan }, 60_000);
    if (!submitted.ok) throw new Error(submitted.message);
    const planId = (submitted.value as MessageOf<'plan_accepted'>).plan_id;
    for await (const document of subscriber.documents()) {
      if ((JSON.parse(document.json) as { plan_id?: string }).plan_id === planId)
        return { planId, end: document.topic, ms: performance.now() - started };
    }
    throw new Error(`plan ${planId} did not end within ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
    subscriber.close();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * The baseline: the same commands, through a shell as the rig runs them, `concurrency` at a time, spawned with
 * execa by a plain Node process like the rig's own (both run built JavaScript, so neither pays tsx's heavier fork).
 */
async function direct(count: number, concurrency: number): Promise<number> {
  const result = await execa(process.execPath, [
    join(import.meta.dirname, 'direct-spawn.mjs'),
    String(count),
    String(concurrency),
  ]);
  return Number(result.stdout.trim());
}

/** Run the broker bench. */
export async function run(options: BrokerBenchOptions = {}): Promise<BenchResult> {
  const count = options.tasks ?? 400;
  const workers = options.workers ?? 2;
  const bigPlan = options.bigPlan ?? 10_000;
  // What is measured is what is deployed: brain and workers run the built JavaScript.
  await execa('npx', ['tsc', '-b'], { cwd: REPO });
  const rig = new RigHarness({
    heartbeatMs: 1_000,
    dist: true,
    ...(options.prefetch !== undefined ? { extraConfig: { prefetch: options.prefetch } } : {}),
  });
  try {
    await rig.startBrain();
    for (let i = 1; i <= workers; i += 1) await rig.startWorker(`w${i}`, ['--slots', '1']);
    // Warm both paths once so neither pays first-spawn costs inside the measurement.
    await direct(10, workers);
    const plan = (n: number, name: string): Plan => ({
      plan: name,
      tasks: Array.from({ length: n }, (_, i) => ({ name: `t${i}`, command: 'true', max_retries: 0 })),
    });
    await runPlan(rig, plan(10, 'warm'));

    // Three rounds, alternating, and the median: on a shared machine one round is at the mercy of its neighbours.
    const rounds: { direct: number; rig: number }[] = [];
    for (let round = 0; round < 3; round += 1) {
      const directMs = await direct(count, workers);
      const run = await runPlan(rig, plan(count, `bench-${round}`));
      if (run.end !== 'plan_completed') throw new Error(`bench plan ended ${run.end}`);
      rounds.push({ direct: directMs, rig: run.ms });
    }
    const ratios = rounds.map((r) => r.rig / r.direct).sort((a, b) => a - b);
    const median = rounds.slice().sort((a, b) => a.rig / a.direct - b.rig / b.direct)[1] as {
      direct: number;
      rig: number;
    };

    // Dispatch latency: a chain of tasks, each released by its predecessor's completion, so every hop is a full
    // round trip (worker result -> brain: record, release, lease -> worker). Per hop: the time between two
    // completions minus the second task's own run time as its worker measured it (which includes the spawn).
    const chainPlan: Plan = {
      plan: 'chain',
      tasks: Array.from({ length: 200 }, (_, i) => ({
        name: `c${i}`,
        command: 'true',
        ...(i > 0 ? { depends_on: [`c${i - 1}`] } : {}),
      })),
    };
    const { planId: chainId } = await runPlan(rig, chainPlan);
    const latencies = rig.readDb((db) =>
      (
        db
          .prepare(
            `SELECT (julianday(n.ts) - julianday(c.ts)) * 86400000.0 - a.elapsed_seconds * 1000.0 AS ms
           FROM events c JOIN tasks p ON p.task_id = c.task_id
           JOIN tasks t ON t.plan_id = c.plan_id AND t.depends_on = json_array(p.name)
           JOIN events n ON n.task_id = t.task_id AND n.event_type = 'task_completed'
           JOIN attempts a ON a.task_id = t.task_id AND a.outcome = 'completed'
           WHERE c.plan_id = ? AND c.event_type = 'task_completed'`,
          )
          .pluck()
          .all(chainId) as number[]
      ).sort((a, b) => a - b),
    );

    // Acceptance of a big plan: validation, ordering, one SQLite transaction, the reply. No workers take it.
    const bigStart = performance.now();
    const big = await rig.client.request(
      'submit_plan',
      {
        plan: {
          plan: 'big',
          tasks: Array.from({ length: bigPlan }, (_, i) => ({
            name: `t${i}`,
            command: 'true',
            depends_on: i === 0 ? [] : [`t${i - 1}`],
          })),
        },
      },
      60_000,
    );
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
