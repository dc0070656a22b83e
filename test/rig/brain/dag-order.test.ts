import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundFor } from '../../helpers/process-start.js';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

async function submit(plan: Plan): Promise<string> {
  const result = await rig.client.request('submit_plan', { plan });
  if (!result.ok) throw new Error(`refused: ${result.message} ${JSON.stringify(result.issues)}`);
  return (result.value as MessageOf<'plan_accepted'>).plan_id;
}

const log = (name: string) => `mkdir -p "$RIGMIND_WORK" && echo ${name} >> "$RIGMIND_WORK/order.log"`;

describe('a plan on a real brain and real workers', () => {
  it('runs a diamond in dependency order, across workers', { timeout: boundFor(3, 30_000) }, async () => {
    await rig.startBrain();
    await rig.startWorker('w1');
    await rig.startWorker('w2');
    const planId = await submit({
      plan: 'diamond',
      tasks: [
        { name: 'a', command: log('a') },
        { name: 'b', depends_on: ['a'], command: `sleep 0.3 && ${log('b')}` },
        { name: 'c', depends_on: ['a'], command: `sleep 0.3 && ${log('c')}` },
        { name: 'd', depends_on: ['b', 'c'], command: log('d') },
      ],
    });
    const final = await rig.finished(planId);
    expect(final.state).toBe('completed');
    const order = readFileSync(join(rig.work, 'order.log'), 'utf8').trim().split('\n');
    expect(order[0]).toBe('a');
    expect(order.slice(1, 3).sort()).toEqual(['b', 'c']);
    expect(order[3]).toBe('d');
    // b and c ran at the same time on the two workers.
    const workers = new Set(final.tasks?.filter((t) => t.name === 'b' || t.name === 'c').map((t) => t.worker_id));
    expect(workers.size).toBe(2);
    for (const task of final.tasks ?? []) {
      expect(task).toMatchObject({ status: 'completed', attempts: 1, return_code: 0, cause: null });
      expect(task.elapsed_seconds).toBeGreaterThan(0);
    }
  });

  it('fails the dependents of a failed task with upstream_failed while an independent branch completes', {
    timeout: boundFor(2, 30_000),
  }, async () => {
    await rig.startBrain();
    await rig.startWorker('w1', ['--slots', '3']);
    const planId = await submit({
      plan: 'branches',
      tasks: [
        { name: 'bad', command: 'echo going down >&2; exit 7', max_retries: 1 },
        { name: 'after_bad', depends_on: ['bad'], command: 'true' },
        { name: 'after_after', depends_on: ['after_bad'], command: 'true' },
        { name: 'good', command: 'sleep 0.2' },
        { name: 'after_good', depends_on: ['good'], command: 'echo fine' },
      ],
    });
    const final = await rig.finished(planId);
    expect(final.state).toBe('failed');
    const byName = Object.fromEntries((final.tasks ?? []).map((task) => [task.name, task]));
    expect(byName['bad']).toMatchObject({ status: 'failed', attempts: 2, return_code: 7 });
    expect(byName['bad']?.cause).toMatch(/exit code 7 \(after 2 attempts\)/);
    expect(byName['after_bad']).toMatchObject({ status: 'failed', cause: 'upstream_failed: bad', attempts: 0 });
    expect(byName['after_after']).toMatchObject({ status: 'failed', cause: 'upstream_failed: bad', attempts: 0 });
    expect(byName['good']).toMatchObject({ status: 'completed' });
    expect(byName['after_good']).toMatchObject({ status: 'completed' });
    // The attempt history is kept, with the seed's error snippet.
    const attempts = rig.readDb((db) =>
      db
        .prepare('SELECT attempt, outcome, return_code, error_snippet FROM attempts WHERE task_id = ? ORDER BY attempt')
        .all(`${planId}.bad`),
    );
    expect(attempts).toEqual([
      { attempt: 1, outcome: 'failed', return_code: 7, error_snippet: 'going down' },
      { attempt: 2, outcome: 'failed', return_code: 7, error_snippet: 'going down' },
    ]);
  });

  it('retries with backoff, then rigmind retry re-queues the task with the dependents it failed', {
    timeout: boundFor(2, 60_000),
  }, async () => {
    await rig.startBrain();
    await rig.startWorker('w1');
    const flag = join(rig.home, 'work', 'fixed');
    const planId = await submit({
      plan: 'flaky',
      tasks: [
        { name: 'flaky', command: `test -f "${flag}"`, max_retries: 2 },
        { name: 'next', depends_on: ['flaky'], command: 'echo next' },
      ],
    });
    const failed = await rig.finished(planId);
    expect(failed.tasks?.find((t) => t.name === 'flaky')).toMatchObject({ status: 'failed', attempts: 3 });
    const retried = rig.readDb((db) =>
      db
        .prepare("SELECT count(*) AS n FROM events WHERE event_type = 'task_retry_scheduled' AND plan_id = ?")
        .get(planId),
    ) as { n: number };
    expect(retried.n).toBe(2);
    await rig.run(['status']); // exercise the text path once
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(rig.home, 'work'), { recursive: true });
    writeFileSync(flag, '');
    const retry = await rig.run(['retry', `${planId}.flaky`, '--json']);
    expect(retry.exitCode).toBe(0);
    expect(JSON.parse(retry.stdout).affected).toEqual([`${planId}.flaky`, `${planId}.next`]);
    const final = await rig.finished(planId);
    expect(final.state).toBe('completed');
    expect(final.tasks?.find((t) => t.name === 'flaky')).toMatchObject({ status: 'completed', attempts: 4 });
  });

  it('cancels a running plan, killing its running task', { timeout: boundFor(2, 30_000) }, async () => {
    await rig.startBrain();
    await rig.startWorker('w1');
    const planId = await submit({
      plan: 'long',
      tasks: [
        { name: 'sleepy', command: 'sleep 30' },
        { name: 'later', depends_on: ['sleepy'], command: 'true' },
      ],
    });
    await rig.until(async () => (await rig.status(planId)).tasks?.[0]?.status === 'running', 10_000, 'sleepy running');
    const cancel = await rig.run(['cancel', planId]);
    expect(cancel.exitCode).toBe(0);
    const final = await rig.finished(planId, 10_000);
    expect(final.state).toBe('canceled');
    expect(final.tasks?.map((t) => t.status)).toEqual(['canceled', 'canceled']);
    await rig.until(
      () =>
        rig.readDb(
          (db) =>
            (
              db.prepare('SELECT outcome FROM attempts WHERE task_id = ?').get(`${planId}.sleepy`) as {
                outcome: string | null;
              }
            ).outcome === 'canceled',
        ),
      10_000,
      'attempt canceled',
    );
  });
});
