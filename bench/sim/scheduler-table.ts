// `npm run bench -- scheduler [--scale=N]`: both policies on every example and on the seeded generated workloads,
// measured against the plan's lower bound (docs/scheduling.md, "Benchmark"). Virtual time: every number but the
// simulation time is exact and the same on every run. `scale` multiplies the generated workloads' size.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RigProfile } from '@rigmind/protocol';
import { POLICY_NAMES, type PolicyName } from '../../rig/src/scheduler/policies.js';
import { rigSpecFromProfile } from '../../rig/src/scheduler/rig-spec.js';
import { DEFAULT_KNOBS } from '../../rig/src/scheduler/types.js';
import { checkTrace } from '../../rig/src/sim/check-trace.js';
import { runScenario } from '../../rig/src/sim/run-scenario.js';
import { DEFAULT_RIG_PATH, loadRigProfile, loadScenario } from '../../rig/src/sim/scenario.js';
import type { SimTaskSpec } from '../../rig/src/sim/sim-tasks.js';
import { urgentWaits } from '../../rig/src/sim/urgent-wait.js';
import { versusNaive, type VersusNaive } from './random-plans.js';
import { generatedWorkloads } from './workloads.js';

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

/** What to run. */
export interface SchedulerBenchOptions {
  /** Multiplies the generated workloads' size (1: about 100-200 tasks each). */
  readonly scale?: number;
  /** Leave out the examples (the tiny test does). */
  readonly examples?: boolean;
  /** Where the table goes. */
  readonly print?: (line: string) => void;
  /** How many random plans (seed 4242, up to 60 tasks) to compare the policies on; 0 leaves the line out. */
  readonly randomPlans?: number;
}

/** One policy's run on one workload. */
interface PolicyRun {
  readonly makespanS: number;
  readonly loads: number;
  readonly llmLoads: number;
  readonly urgentWaitS: number | null;
  readonly urgentOverS: number | null;
  readonly ms: number;
  readonly violations: number;
  readonly error?: string;
}

const ROOT = join(import.meta.dirname, '../..');
/** The issue's target for an urgent task: started within this long of the earliest any card could start it. */
export const URGENT_TARGET_S = 10;

function measure(specs: readonly SimTaskSpec[], profile: RigProfile, policy: PolicyName) {
  const rig = rigSpecFromProfile(profile);
  const start = performance.now();
  let run: ReturnType<typeof runScenario>;
  try {
    run = runScenario(specs, profile, policy);
  } catch (error) {
    return { bound: null, run: null, error: (error as Error).message.slice(0, 80) };
  }
  const ms = performance.now() - start;
  const waits = urgentWaits(run.result.trace, run.result.tasks, run.checked, rig, DEFAULT_KNOBS.urgentPriority);
  const loads = run.result.trace.filter((entry) => entry.kind === 'load');
  const out: PolicyRun = {
    makespanS: run.metrics.makespan_s,
    loads: loads.length,
    llmLoads: loads.filter((entry) => entry.model !== null && rig.models[entry.model]?.kind === 'llm').length,
    urgentWaitS: waits.length === 0 ? null : Math.max(...waits.map((wait) => wait.waitS)),
    urgentOverS: waits.length === 0 ? null : Math.max(...waits.map((wait) => wait.overS)),
    ms,
    violations: checkTrace(run.result.trace, run.checked, rig).length,
  };
  return { bound: run.metrics, run: out, error: undefined };
}

const HEADER = [
  'workload',
  'tasks',
  'bound s (set by)',
  'swap-aware s',
  'x bound',
  'naive s',
  'naive x bound',
  'naive ÷ swap-aware',
  'loads (LLM) s-a / naive',
  'longest urgent wait s s-a / naive',
  'urgent over earliest s s-a / naive',
  'sim ms s-a / naive',
];

const fmt = (value: number | null | undefined, places = 1): string =>
  value === null || value === undefined ? '-' : String(Number(value.toFixed(places)));

/** Run the table; returns each workload's ratios as metrics. */
export async function run(options: SchedulerBenchOptions = {}): Promise<BenchResult> {
  const scale = options.scale ?? 1;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const seed = await loadRigProfile(DEFAULT_RIG_PATH);
  if (!seed.ok) throw new Error(seed.message);
  const workloads: { name: string; specs: SimTaskSpec[]; profile: RigProfile }[] = [];
  if (options.examples !== false) {
    for (const dir of ['examples/plans', 'examples/scenarios'])
      for (const file of readdirSync(join(ROOT, dir)).sort()) {
        const loaded = await loadScenario(join(ROOT, dir, file));
        if (!loaded.ok) throw new Error(loaded.message);
        workloads.push({ name: file, specs: loaded.value.specs, profile: loaded.value.profile });
      }
  }
  for (const generated of generatedWorkloads(scale)) workloads.push({ ...generated, profile: seed.value });
  print(`| ${HEADER.join(' | ')} |`);
  print(
    `| --- | ${HEADER.slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  );
  const metrics: Record<string, number> = {};
  for (const workload of workloads) {
    const runs = Object.fromEntries(
      [...POLICY_NAMES].map((policy) => [policy, measure(workload.specs, workload.profile, policy)]),
    ) as Record<PolicyName, ReturnType<typeof measure>>;
    const sa = runs['swap-aware'];
    const nv = runs.naive;
    const bound = sa.bound ?? nv.bound;
    const boundS = bound?.lower_bound_s ?? Number.NaN;
    const span = (r: ReturnType<typeof measure>): string =>
      r.run === null
        ? `failed: ${r.error ?? ''}`
        : `${fmt(r.run.makespanS)}${r.run.violations > 0 ? ` INFEASIBLE (${r.run.violations})` : ''}`;
    const pair = (pick: (r: PolicyRun) => string): string =>
      `${sa.run === null ? '-' : pick(sa.run)} / ${nv.run === null ? '-' : pick(nv.run)}`;
    const xSa = sa.run === null ? null : sa.run.makespanS / boundS;
    const xNv = nv.run === null ? null : nv.run.makespanS / boundS;
    const ratio = sa.run === null || nv.run === null ? null : nv.run.makespanS / sa.run.makespanS;
    print(
      `| ${[
        workload.name,
        workload.specs.length,
        `${fmt(boundS)} (${bound?.lower_bound_by.replace('_', ' ') ?? '-'})`,
        span(sa),
        fmt(xSa, 3),
        span(nv),
        fmt(xNv, 3),
        fmt(ratio, 2),
        pair((r) => `${r.loads} (${r.llmLoads})`),
        pair((r) => fmt(r.urgentWaitS)),
        pair((r) => fmt(r.urgentOverS)),
        pair((r) => fmt(r.ms, 0)),
      ].join(' | ')} |`,
    );
    const key = workload.name.replace(/^gen: /, '').replace(/[^a-z0-9]+/gi, '_');
    metrics[`${key}_x_bound`] = xSa ?? Number.NaN;
    metrics[`${key}_naive_over_swap_aware`] = ratio ?? Number.NaN;
    if (sa.run?.urgentOverS !== null && sa.run?.urgentOverS !== undefined)
      metrics[`${key}_urgent_over_s`] = sa.run.urgentOverS;
    metrics[`${key}_sim_ms`] = sa.run?.ms ?? Number.NaN;
  }
  const count = options.randomPlans ?? 400;
  if (count > 0) {
    const versus = versusNaive(seed.value, RANDOM_SEED, count);
    const line = (what: string, v: VersusNaive): string =>
      `${what} slower than naive on ${v.slower} (worst ${fmt(v.worst, 3)}x); naive ÷ swap-aware in total ` +
      `${fmt(v.total, 3)}`;
    print('');
    print(`random plans (seed ${RANDOM_SEED}, ${count} plans of up to 60 tasks, submitted at 0, 30, 120 or 400 s):`);
    print(`- ${line('swap-aware (guarded)', versus.guarded)}`);
    print(`- ${line('swap-aware without the guard', versus.unguarded)}`);
    print(`- the same plans submitted at once: ${line('swap-aware (guarded)', versus.atOnce)}`);
    metrics['random_plans_slower_than_naive'] = versus.guarded.slower;
    metrics['random_plans_worst_over_naive'] = versus.guarded.worst;
    metrics['random_plans_naive_over_swap_aware'] = versus.guarded.total;
    metrics['random_plans_unguarded_slower_than_naive'] = versus.unguarded.slower;
    metrics['random_plans_at_once_slower_than_naive'] = versus.atOnce.slower;
  }
  return { name: 'scheduler', metrics };
}

/** The random plans' seed: the one the figures in docs/scheduling.md were measured with. */
const RANDOM_SEED = 4242;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const scale = process.argv.find((arg) => arg.startsWith('--scale='))?.slice('--scale='.length);
  await run(scale === undefined ? {} : { scale: Number(scale) });
}
