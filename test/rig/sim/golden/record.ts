// Write the golden traces of every workload under both policies (see workloads.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario } from '../../../../rig/src/sim/run-scenario.js';
import { traceToJsonLines } from '../../../../rig/src/sim/trace.js';
import { GOLDEN_DIR, goldenWorkloads } from './workloads.js';

for (const workload of await goldenWorkloads()) {
  for (const policy of ['naive', 'swap-aware'] as const) {
    const started = performance.now();
    const { result } = runScenario(workload.specs, workload.profile, policy);
    writeFileSync(join(GOLDEN_DIR, `${workload.name}.${policy}.jsonl`), traceToJsonLines(result.trace));
    const ms = Math.round(performance.now() - started);
    console.log(`${workload.name} ${policy}: ${workload.specs.length} tasks, ${result.trace.length} entries, ${ms} ms`);
  }
}
