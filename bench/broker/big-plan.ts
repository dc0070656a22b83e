// Big plans: a 100,000-task plan through a real brain (built JavaScript, default heartbeats) with a real worker
// connected, against a 10,000-task plan as the baseline in the same run: the time to accept each, the brain's
// resident memory after, whether the worker lost the brain meanwhile (it must not: acceptance may not starve
// heartbeats, nor while the big plan is canceled in slices), and how long `status PLAN` (every task, paged) and
// `cancel` take on the big plan.
// Run: node -C source --import tsx bench/broker/big-plan.ts
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { fetchPlanStatus } from '../../rig/src/client/plan-status.js';
import { submitPlan } from '../../rig/src/client/upload-plan.js';
import { REPO, RigHarness } from '../../test/helpers/rig-harness.js';

/** A bench result: a name and flat numeric metrics. */
export interface BenchResult {
  readonly name: string;
  readonly metrics: Record<string, number>;
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** A chain, so acceptance checks every dependency and nothing runs while it is measured (the head is held). */
function chain(name: string, n: number): Plan {
  return {
    plan: name,
    tasks: Array.from({ length: n }, (_, i) => ({
      name: `shard-${i}`,
      command: `python3 scripts/step.py --shard ${i} --out results/shard-${i}.json`,
      ...(i === 0 ? { task_class: 'script' as const } : { task_class: 'cpu' as const, depends_on: [`shard-${i - 1}`] }),
    })),
  };
}

/** Run the bench. */
export async function run(big = 100_000, small = 10_000): Promise<BenchResult> {
  await execa('npx', ['tsc', '-b'], { cwd: REPO });
  const rig = new RigHarness({ heartbeatMs: 1_000, dist: true });
  try {
    const { proc } = await rig.startBrain();
    const pid = proc.pid as number;
    // A cpu-only worker: the plans' heads are GPU scripts, so it holds no work and only keeps its heartbeats.
    await rig.startWorker('w1', ['--slots', '1', '--classes', 'cpu']);
    const accept = async (plan: Plan): Promise<{ ms: number; planId: string }> => {
      const started = performance.now();
      // As the CLI sends it: a big plan uploaded in chunks, each parsed and checked on a turn of its own.
      const result = await submitPlan(rig.client, plan, { timeoutMs: 60_000 });
      if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
      return { ms: performance.now() - started, planId: (result.value as MessageOf<'plan_accepted'>).plan_id };
    };
    const rssBefore = rssMb(pid);
    const baseline = await accept(chain('baseline', small));
    const measured = await accept(chain('big', big));
    const rssAfter = rssMb(pid);

    const statusStart = performance.now();
    const status = await fetchPlanStatus(rig.client, measured.planId);
    const statusMs = performance.now() - statusStart;
    if (!status.ok) throw new Error(`status: ${status.code}: ${status.message}`);
    if (status.value.status.tasks?.length !== big)
      throw new Error(`status: ${status.value.status.tasks?.length} tasks, not ${big}`);

    const cancelStart = performance.now();
    const canceled = await rig.client.request('cancel_request', { target: measured.planId }, 120_000);
    const cancelMs = performance.now() - cancelStart;
    if (!canceled.ok) throw new Error(`cancel: ${canceled.code}: ${canceled.message}`);

    const registered = "SELECT count(*) FROM events WHERE event_type = 'worker_registered'";
    const registrations = rig.readDb((db) => db.prepare(registered).pluck().get() as number);
    return {
      name: 'big-plan',
      metrics: {
        tasks: big,
        baseline_tasks: small,
        baseline_accept_ms: Math.round(baseline.ms),
        accept_ms: Math.round(measured.ms),
        // 1.0 is linear in the plan's size: the big plan costs no more per task than the baseline.
        per_task_ratio: Number((measured.ms / big / (baseline.ms / small)).toFixed(3)),
        brain_rss_before_mb: rssBefore,
        brain_rss_after_mb: rssAfter,
        worker_registrations: registrations,
        status_all_tasks_ms: Math.round(statusMs),
        cancel_ms: Math.round(cancelMs),
      },
    };
  } finally {
    await rig.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
