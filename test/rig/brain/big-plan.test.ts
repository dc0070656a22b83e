import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_STATUS_PAGE, type MessageOf, type Plan } from '@rigmind/protocol';
import { fetchPlanStatus } from '../../../rig/src/client/plan-status.js';
import { submitPlan } from '../../../rig/src/client/upload-plan.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

/** A chain whose head is a GPU script: a cpu-only worker takes none of it, so the plan stays whole while measured. */
function chain(n: number): Plan {
  return {
    plan: 'big',
    tasks: Array.from({ length: n }, (_, i) => ({
      name: `shard-${i}`,
      command: `python3 scripts/step.py --shard ${i} --out results/shard-${i}.json`,
      ...(i === 0 ? { task_class: 'script' as const } : { depends_on: [`shard-${i - 1}`] }),
    })),
  };
}

function logs(rig: RigHarness): string {
  const dir = join(rig.home, 'logs');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('\n');
}

describe('a plan of 100,000 tasks', () => {
  it('is accepted at the default frame limit, and answers status (paged) and cancel within their ' +
    'timeouts', async () => {
    // Liveness 10 x 1,000 ms: this test is about answers, not fairness (plan-upload and plan-cancel show the brain
    // serving others between chunks and slices; the bench counts re-registrations at the default 3 x 1,000 ms).
    const rig = track(new RigHarness({ heartbeatMs: 1_000, extraConfig: { heartbeat_liveness: 10 } }));
    await rig.startBrain();
    await rig.startWorker('w1', ['--classes', 'cpu']);
    // Uploaded in chunks, as the CLI does: each parsed and checked on a turn of its own.
    const submitted = await submitPlan(rig.client, chain(100_000), { timeoutMs: 120_000 });
    if (!submitted.ok) throw new Error(`${submitted.code}: ${submitted.message}`);
    const accepted = submitted.value as MessageOf<'plan_accepted'>;
    expect(accepted.tasks).toHaveLength(100_000);

    // Every task, page by page, each page within its own timeout (one reply of every row was 30 MB).
    const status = await fetchPlanStatus(rig.client, accepted.plan_id);
    if (!status.ok) throw new Error(`${status.code}: ${status.message}`);
    expect(status.value.status.total).toBe(100_000);
    expect(status.value.status.tasks?.map((task) => task.name).slice(99_998)).toEqual(['shard-99998', 'shard-99999']);
    expect(status.value.status.counts).toEqual({ queued: 1, blocked: 99_999 });

    // A client that asks for every task without paging gets the first page, not a 30 MB reply.
    const unpaged = await rig.client.request(
      'status_request',
      { plan_id: accepted.plan_id, include_tasks: true },
      30_000,
    );
    expect(unpaged.ok && unpaged.value.kind === 'status_reply' && unpaged.value.plans[0]?.tasks?.length).toBe(
      MAX_STATUS_PAGE,
    );

    // The CLI gives cancel the time the work takes; 5 s reported a failure for a cancel that happened.
    const canceled = await rig.run(['cancel', accepted.plan_id]);
    expect(canceled.exitCode, canceled.stderr).toBe(0);
    expect(canceled.stdout).toContain('canceled 100000 task(s)');
    expect(canceled.stdout).toContain('... and 99950 more');
    expect(logs(rig)).not.toContain('handler failed');
  }, 300_000);

  it('is dropped whole when the brain dies while storing its upload: nothing of an unacknowledged plan is kept or ' +
    'run', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 1_000 }));
    const { proc } = await rig.startBrain();
    // Never answered (the brain dies first): its result is not awaited, so the test does not wait out its timeout.
    void submitPlan(rig.client, chain(100_000), { timeoutMs: 60_000 });
    // Killed between two slices: the marker written with the plan row is there, some tasks are stored.
    const storing = () =>
      rig.readDb(
        (db) =>
          db
            .prepare(
              "SELECT (SELECT count(*) FROM meta WHERE key LIKE 'intake:%') AS marked, (SELECT count(*) FROM tasks) " +
                'AS tasks',
            )
            .get() as { marked: number; tasks: number },
      );
    await rig.until(
      () => {
        const now = storing();
        return now.marked === 1 && now.tasks > 0;
      },
      120_000,
      'the plan being stored in slices',
    );
    proc.kill('SIGKILL');
    await proc.catch(() => undefined);
    await rig.startBrain();
    expect(storing()).toEqual({ marked: 0, tasks: 0 });
    const plans = rig.readDb((db) => db.prepare('SELECT count(*) FROM plans').pluck().get());
    expect(plans).toBe(0);
    expect(logs(rig)).toContain('dropped plans a stopped brain had not finished storing');
  }, 300_000);
});
