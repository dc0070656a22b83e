// Simulator speed: virtual seconds simulated per wall second on the video batch, for both policies.
// Run: node -C source --import tsx bench/sim/simulator-speed.ts
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { runScenario } from '../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../rig/src/sim/scenario.js';

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

/** Simulate video-pipeline-12 `rounds` times per policy and report the median speed. */
export async function run(rounds = 15): Promise<BenchResult> {
  const scenario = await loadScenario(join(import.meta.dirname, '../../examples/plans/video-pipeline-12.json'));
  if (!scenario.ok) throw new Error(scenario.message);
  const metrics: Record<string, number> = {};
  for (const policy of ['naive', 'swap-aware'] as const) {
    const times: number[] = [];
    let makespan = 0;
    for (let i = 0; i < rounds; i += 1) {
      const start = performance.now();
      makespan = runScenario(scenario.value.specs, scenario.value.profile, policy).metrics.makespan_s;
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const medianMs = times[Math.floor(times.length / 2)] ?? Number.NaN;
    const key = policy.replace('-', '_');
    metrics[`${key}_ms`] = Number(medianMs.toFixed(2));
    metrics[`${key}_virtual_s`] = makespan;
    metrics[`${key}_virtual_s_per_wall_s`] = Math.round(makespan / (medianMs / 1000));
  }
  return { name: 'sim', metrics };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
