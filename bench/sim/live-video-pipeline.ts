// The live brain against its simulator (issue 18): video-pipeline-12 on `rigmind up --simulate` (a real brain, real
// workers on simulated cards, built JavaScript), side by side with the simulator's makespan of the same plan on the
// same profile, as a ratio. The simulator runs twice: as `rigmind simulate` does, and with the limits of today's live
// workers (one model per card, brain cards lent to scripts only), which is what the live brain can reach.
// Run: node -C source --import tsx bench/sim/live-video-pipeline.ts [--time-scale=0.05] [--policy=swap-aware]
//      (or `npm run bench -- live`)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { POLICIES, type PolicyName } from '../../rig/src/scheduler/policies.js';
import { loadScenario } from '../../rig/src/sim/scenario.js';
import { simulate } from '../../rig/src/sim/simulator.js';
import { REPO, RigHarness } from '../../test/helpers/rig-harness.js';
import type { BenchResult } from './simulator-speed.js';

const PROFILE = join(REPO, 'examples/rigs/rig-5x1060.json');
const PLAN = join(REPO, 'examples/plans/video-pipeline-12.json');

/** Settings of one run. */
export interface LiveBenchOptions {
  /** Wall seconds per rig second: larger makes the ~0.1 s real cost of each dispatch a smaller share of a task. */
  readonly timeScale?: number;
  readonly policy?: PolicyName;
}

/** Live makespan in rig seconds: the plan's submission to its last task's completion, over the time scale. */
function liveMakespanS(rig: RigHarness, planId: string, timeScale: number): { makespanS: number; loads: number } {
  return rig.readDb((db) => {
    const span = db
      .prepare(
        `SELECT (julianday(max(CASE WHEN event_type = 'task_completed' THEN ts END)) - julianday(min(ts))) * 86400.0
         FROM events WHERE plan_id = ?`,
      )
      .pluck()
      .get(planId) as number;
    const loads = db.prepare("SELECT count(*) FROM events WHERE event_type = 'model_loaded'").pluck().get() as number;
    return { makespanS: span / timeScale, loads };
  });
}

/** Run the bench. */
export async function run(options: LiveBenchOptions = {}): Promise<BenchResult> {
  const timeScale = options.timeScale ?? 0.05;
  const policy = options.policy ?? 'swap-aware';
  const scenario = await loadScenario(PLAN);
  if (!scenario.ok) throw new Error(scenario.message);
  const { specs, profile } = scenario.value;
  const simulated = simulate(specs, { profile, policy: POLICIES[policy] }).makespanS;
  const liveLimits = simulate(specs, {
    profile,
    policy: POLICIES[policy],
    limits: { oneModelPerCard: true, lendsLlm: false },
  }).makespanS;

  await execa('npx', ['tsc', '-b'], { cwd: REPO });
  const rig = new RigHarness({ heartbeatMs: 1_000, dist: true });
  try {
    rig.spawn(['up', '--simulate', PROFILE, '--time-scale', String(timeScale), '--policy', policy]);
    await rig.until(async () => (await rig.workers()).length === 5, 120_000, 'five workers');
    const plan = JSON.parse(readFileSync(PLAN, 'utf8')) as Plan;
    const submitted = await rig.client.request('submit_plan', { plan }, 60_000);
    if (!submitted.ok) throw new Error(submitted.message);
    const planId = (submitted.value as MessageOf<'plan_accepted'>).plan_id;
    // Bounded: ten times the simulated makespan at this scale, and at least two minutes.
    const final = await rig.finished(planId, Math.max(120_000, simulated * timeScale * 10_000));
    if (final.state !== 'completed') throw new Error(`the live plan ended ${final.state}`);
    const live = liveMakespanS(rig, planId, timeScale);
    const metrics: Record<string, number> = {
      time_scale: timeScale,
      simulated_s: simulated,
      simulated_live_limits_s: liveLimits,
      live_s: Number(live.makespanS.toFixed(1)),
      live_model_loads: live.loads,
      live_over_simulated: Number((live.makespanS / simulated).toFixed(3)),
      live_over_simulated_live_limits: Number((live.makespanS / liveLimits).toFixed(3)),
    };
    return { name: `live-${policy}`, metrics };
  } finally {
    await rig.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const scale = arg('time-scale');
  const policy = arg('policy');
  const result = await run({
    ...(scale !== undefined ? { timeScale: Number(scale) } : {}),
    ...(policy === 'naive' || policy === 'swap-aware' ? { policy } : {}),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
