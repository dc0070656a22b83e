// `npm run bench`: every benchmark, one after the other (never in parallel: they would measure each other).
// Each reports ratios against a baseline run side by side in the same process, so a noisy machine moves both.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

const BENCHES: Record<string, () => Promise<{ run: () => Promise<BenchResult> }>> = {
  broker: () => import('./broker/dispatch-overhead.js'),
  'big-plan': () => import('./broker/big-plan.js'),
  gateway: () => import('./gateway/escalation-latency.js'),
  sim: () => import('./sim/simulator-speed.js'),
};

const only = process.argv.slice(2);
const results: BenchResult[] = [];
for (const [name, load] of Object.entries(BENCHES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench ${name}...\n`);
  try {
    const result = await (await load()).run();
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
