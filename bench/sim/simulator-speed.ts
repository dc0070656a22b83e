// Scheduler speed. (1) The simulator on video-pipeline-12 for both policies (virtual seconds per wall second).
// (2) Simulating seeded streams of plans (test/helpers/sim-workload.ts) of 1k, 10k and 50k tasks, and a backlog (every
// plan at t=0): wall time, and the cost per task against the 1k run of the same run as the baseline (1.0 = linear).
// (3) Live dispatch latency through a real brain (built JavaScript) and a simulated GPU worker: the same hop (a card's
// task completes -> the brain places the next one -> it is dispatched) on a 100-task plan, the baseline, and on a
// 10,000-task plan, side by side in one run; GPU scripts all ready at once, then in pairs (half of them blocked).
// Run: node -C source --import tsx bench/sim/simulator-speed.ts   (or `npm run bench -- sim`)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { MessageOf, Plan, RigProfile } from '@rigmind/protocol';
import { POLICIES } from '../../rig/src/scheduler/policies.js';
import { runScenario } from '../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../rig/src/sim/scenario.js';
import type { SimTaskSpec } from '../../rig/src/sim/sim-tasks.js';
import { simulate } from '../../rig/src/sim/simulator.js';
import { REPO, RigHarness } from '../../test/helpers/rig-harness.js';
import { SEED_PROFILE, streamWorkload } from '../../test/helpers/sim-workload.js';

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

/** Settings of one run. */
export interface SimBenchOptions {
  readonly rounds?: number;
  readonly sizes?: readonly number[];
  readonly naiveSizes?: readonly number[];
  readonly backlogSizes?: readonly number[];
  /** Mean seconds between plans in the streams: what the seed rig keeps up with under swap-aware (150 is not). */
  readonly gapS?: number;
  readonly live?: boolean;
}

const POLICY_KEYS = ['naive', 'swap-aware'] as const;

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? Number.NaN;
}

/** Wall ms to simulate `specs` once, and the makespan. */
function timeOnce(specs: readonly SimTaskSpec[], profile: RigProfile, policy: (typeof POLICY_KEYS)[number]) {
  const started = performance.now();
  const result = simulate(specs, { profile, policy: POLICIES[policy] });
  return { ms: performance.now() - started, makespanS: result.makespanS, calls: result.policyCalls };
}

async function videoPipeline(rounds: number, metrics: Record<string, number>): Promise<void> {
  const scenario = await loadScenario(join(import.meta.dirname, '../../examples/plans/video-pipeline-12.json'));
  if (!scenario.ok) throw new Error(scenario.message);
  for (const policy of POLICY_KEYS) {
    const times: number[] = [];
    let makespan = 0;
    for (let i = 0; i < rounds; i += 1) {
      const start = performance.now();
      makespan = runScenario(scenario.value.specs, scenario.value.profile, policy).metrics.makespan_s;
      times.push(performance.now() - start);
    }
    const medianMs = median(times);
    const key = policy.replace('-', '_');
    metrics[`${key}_ms`] = Number(medianMs.toFixed(2));
    metrics[`${key}_virtual_s`] = makespan;
    metrics[`${key}_virtual_s_per_wall_s`] = Math.round(makespan / (medianMs / 1000));
  }
}

/** Streams (or backlogs) of each size, both policies; per-task cost against the smallest size as the baseline. */
function scaling(
  label: string,
  sizes: Readonly<Record<(typeof POLICY_KEYS)[number], readonly number[]>>,
  gapS: number,
  metrics: Record<string, number>,
): void {
  for (const policy of POLICY_KEYS) {
    const key = `${label}_${policy.replace('-', '_')}`;
    let basePerTask: number | undefined;
    for (const size of sizes[policy]) {
      const specs = streamWorkload({ seed: 7, tasks: size, gapS });
      const run = timeOnce(specs, SEED_PROFILE, policy);
      const perTaskUs = (run.ms * 1000) / size;
      basePerTask ??= perTaskUs;
      metrics[`${key}_${size}_ms`] = Math.round(run.ms);
      metrics[`${key}_${size}_us_per_task`] = Number(perTaskUs.toFixed(1));
      metrics[`${key}_${size}_per_task_ratio`] = Number((perTaskUs / basePerTask).toFixed(2));
      metrics[`${key}_${size}_makespan_s`] = Math.round(run.makespanS);
      process.stderr.write(`  ${key} ${size}: ${Math.round(run.ms)} ms\n`);
    }
  }
}

const PROFILE = join(REPO, 'examples/rigs/rig-5x1060.json');

/** GPU scripts, independent (all ready at once), or in pairs (an OCR, then its embedding: half of them blocked). */
function gpuPlan(name: string, n: number, pairs = false): Plan {
  return {
    plan: name,
    tasks: Array.from({ length: n }, (_, i) =>
      pairs && i % 2 === 1
        ? {
            name: `embed-${i}`,
            task_class: 'script' as const,
            model: 'all-mpnet-base-v2',
            command: `python scripts/embed.py --page ${i}`,
            estimate_s: 1,
            depends_on: [`ocr-${i - 1}`],
          }
        : {
            name: `ocr-${i}`,
            task_class: 'script' as const,
            model: 'easyocr',
            command: `python scripts/ocr.py --page ${i}`,
            estimate_s: 1,
          },
    ),
  };
}

/** Per hop on the one card: the next task's dispatch minus the previous task's completion, ms, sorted. */
function hops(rig: RigHarness, planId: string): number[] {
  const rows = rig.readDb(
    (db) =>
      db
        .prepare(
          `SELECT event_type AS type, julianday(ts) * 86400000.0 AS ms FROM events
           WHERE plan_id = ? AND event_type IN ('task_dispatched', 'task_completed') ORDER BY seq`,
        )
        .all(planId) as { type: string; ms: number }[],
  );
  const out: number[] = [];
  let completedAt: number | undefined;
  for (const row of rows) {
    if (row.type === 'task_completed') completedAt = row.ms;
    else if (completedAt !== undefined) {
      out.push(row.ms - completedAt);
      completedAt = undefined;
    }
  }
  return out.sort((a, b) => a - b);
}

async function liveLatency(metrics: Record<string, number>, hopsWanted = 60): Promise<void> {
  await execa('npx', ['tsc', '-b'], { cwd: REPO });
  const rig = new RigHarness({ heartbeatMs: 1_000, dist: true });
  try {
    await rig.startBrain(['--profile', PROFILE]);
    // One simulated card at 1/100 of the profile's time: a 1 s script is 10 ms, so the hop is mostly the brain.
    await rig.startWorker('g1', ['--gpus', '1', '--simulate', '--profile', PROFILE, '--time-scale', '0.01']);
    for (const [label, size, pairs] of [
      ['small', 100, false],
      ['big', 10_000, false],
      ['small_dag', 100, true],
      ['big_dag', 10_000, true],
    ] as const) {
      const plan = gpuPlan(`live-${label}`, size, pairs);
      const submitted = await rig.client.request('submit_plan', { plan }, 120_000);
      if (!submitted.ok) throw new Error(submitted.message);
      const planId = (submitted.value as MessageOf<'plan_accepted'>).plan_id;
      const done = (): number =>
        rig.readDb(
          (db) =>
            db
              .prepare("SELECT count(*) FROM events WHERE plan_id = ? AND event_type = 'task_completed'")
              .pluck()
              .get(planId) as number,
        );
      // Not to the end: the policy leaves a plan's last few short tasks of a model the card no longer holds until they
      // are overdue (a switch costs more than their work), which is a decision, not dispatch latency.
      await rig.until(() => done() >= hopsWanted + 1, 300_000, `${hopsWanted} hops of ${label}`);
      await rig.client.request('cancel_request', { target: planId }, 120_000);
      const measured = hops(rig, planId).slice(0, hopsWanted);
      metrics[`live_${label}_plan_tasks`] = size;
      metrics[`live_${label}_hops`] = measured.length;
      metrics[`live_${label}_hop_p50_ms`] = Number((measured[Math.floor(measured.length / 2)] ?? NaN).toFixed(2));
      metrics[`live_${label}_hop_p90_ms`] = Number((measured[Math.floor(measured.length * 0.9)] ?? NaN).toFixed(2));
    }
    for (const kind of ['', '_dag']) {
      const ratio = (metrics[`live_big${kind}_hop_p50_ms`] ?? NaN) / (metrics[`live_small${kind}_hop_p50_ms`] ?? NaN);
      metrics[`live${kind}_hop_p50_ratio_big_to_small`] = Number(ratio.toFixed(2));
    }
  } finally {
    await rig.cleanup();
  }
}

/** Run the bench. */
export async function run(options: SimBenchOptions = {}): Promise<BenchResult> {
  const metrics: Record<string, number> = {};
  await videoPipeline(options.rounds ?? 15, metrics);
  // Naive falls behind this stream (its queue grows without bound, a backlog), so it runs at smaller sizes only.
  const sizes = options.sizes ?? [1_000, 10_000, 50_000];
  scaling('stream', { 'swap-aware': sizes, naive: options.naiveSizes ?? [1_000, 3_000] }, options.gapS ?? 200, metrics);
  const backlog = options.backlogSizes ?? [500, 1_000];
  scaling('backlog', { 'swap-aware': backlog, naive: backlog }, 0, metrics);
  if (options.live !== false) await liveLatency(metrics);
  return { name: 'sim', metrics };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
