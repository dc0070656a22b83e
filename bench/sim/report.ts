// The table of docs/scheduling.md: both policies on the example workloads, measured by the real simulator.
// Run: node -C source --import tsx bench/sim/report.ts
import { basename, join } from 'node:path';
import { POLICY_NAMES } from '../../rig/src/scheduler/policies.js';
import { runScenario } from '../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../rig/src/sim/scenario.js';

const WORKLOADS = ['examples/plans/video-pipeline-12.json', 'examples/scenarios/mixed-hour.json'];
const root = join(import.meta.dirname, '../..');

/** One Markdown table row. */
const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;

const rows: string[] = [
  row([
    'workload',
    'policy',
    'makespan s',
    'lower bound s',
    'x bound',
    'swaps',
    'LLM loads',
    'preemptions',
    'mean wait p9-10 s',
    'max wait s',
  ]),
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const workload of WORKLOADS) {
  const name = basename(workload);
  const scenario = await loadScenario(join(root, workload));
  if (!scenario.ok) throw new Error(scenario.message);
  const spans: Record<string, number> = {};
  for (const policy of [...POLICY_NAMES].reverse()) {
    const { metrics } = runScenario(scenario.value.specs, scenario.value.profile, policy);
    spans[policy] = metrics.makespan_s;
    const llmLoads = Object.entries(metrics.loads_by_model)
      .filter(([model]) => scenario.value.profile.models[model]?.kind === 'llm')
      .reduce((sum, [, count]) => sum + count, 0);
    const urgent = Object.entries(metrics.wait_s).filter(([priority]) => Number(priority) >= 9);
    const urgentCount = urgent.reduce((s, [, w]) => s + w.count, 0);
    const urgentMean =
      urgent.length === 0 ? '-' : (urgent.reduce((s, [, w]) => s + w.mean * w.count, 0) / urgentCount).toFixed(1);
    const maxWait = Math.max(...Object.values(metrics.wait_s).map((w) => w.max));
    const xBound = (metrics.makespan_s / metrics.lower_bound_s).toFixed(3);
    rows.push(
      row([
        name,
        policy,
        metrics.makespan_s,
        metrics.lower_bound_s,
        xBound,
        metrics.swaps,
        llmLoads,
        metrics.preemptions,
        urgentMean,
        maxWait,
      ]),
    );
  }
  const ratio = ((spans['naive'] ?? 0) / (spans['swap-aware'] ?? 1)).toFixed(2);
  rows.push(`| ${name} | naive / swap-aware | ${ratio}x | | | | | | | |`);
}
console.log(rows.join('\n'));
