// `npm run bench`: every benchmark, one after the other (never in parallel: they would measure each other).
// Each reports ratios against a baseline run side by side in the same process, so a noisy machine moves both.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

/** `--name=value` arguments, for the benches that take options. */
type Options = Readonly<Record<string, string>>;

const BENCHES: Record<string, (options: Options) => Promise<BenchResult>> = {
  broker: async () => (await import('./broker/dispatch-overhead.js')).run(),
  'big-plan': async () => (await import('./broker/big-plan.js')).run(),
  gateway: async () => (await import('./gateway/escalation-latency.js')).run(),
  sim: async () => (await import('./sim/simulator-speed.js')).run(),
  // `--scale=N` multiplies the generated workloads' size (default 2: a few hundred tasks each).
  scheduler: async (options) =>
    (await import('./sim/scheduler-table.js')).run({ scale: Number(options['scale'] ?? 2) }),
  // The live brain on `up --simulate` against the simulator, video-pipeline-12: `--time-scale=X`, `--policy=NAME`.
  live: async (options) =>
    (await import('./sim/live-video-pipeline.js')).run({
      timeScale: Number(options['time-scale'] ?? 0.05),
      policy: options['policy'] === 'naive' ? 'naive' : 'swap-aware',
    }),
};

const args = process.argv.slice(2);
const only = args.filter((arg) => !arg.startsWith('--'));
const options: Options = Object.fromEntries(
  args.filter((arg) => arg.startsWith('--')).map((arg) => [arg.slice(2).split('=')[0], arg.split('=')[1] ?? '']),
);
const results: BenchResult[] = [];
for (const [name, runBench] of Object.entries(BENCHES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench ${name}...\n`);
  try {
    const result = await runBench(options);
    results.push(result);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stderr.write(`bench ${name} failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'latest.json'),
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`,
);
