import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundFor } from '../../helpers/process-start.js';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { alive, RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness({ heartbeatMs: 200 });
});
afterEach(async () => {
  await rig.cleanup();
});

async function submit(plan: Plan): Promise<string> {
  const result = await rig.client.request('submit_plan', { plan });
  if (!result.ok) throw new Error(`refused: ${result.message}`);
  return (result.value as MessageOf<'plan_accepted'>).plan_id;
}

const readPid = (file: string) => Number(readFileSync(join(rig.work, file), 'utf8').trim());

describe('crashes', () => {
  it('kill -9 of a worker mid-task: the task is re-queued within 3 heartbeats, completes once elsewhere, and the ' +
    'killed copy is gone', {
    timeout: boundFor(3, 50_000),
  }, async () => {
    await rig.startBrain();
    const w1 = await rig.startWorker('w1');
    // The first attempt starts a grandchild and sleeps; a later attempt finishes at once.
    const command = [
      'mkdir -p "$RIGMIND_WORK"',
      'if [ "$RIGMIND_ATTEMPT" = 1 ]; then sleep 300 & echo $! > "$RIGMIND_WORK/grandchild.pid"; echo $$ > ' +
        '"$RIGMIND_WORK/task.pid"; wait; fi',
      'echo "ran attempt $RIGMIND_ATTEMPT" >> "$RIGMIND_WORK/runs.log"',
    ].join('; ');
    const planId = await submit({ plan: 'victim', tasks: [{ name: 'long', command }] });
    await rig.until(
      () => existsSync(join(rig.work, 'grandchild.pid')) && existsSync(join(rig.work, 'task.pid')),
      15_000,
      'task running on w1',
    );
    const taskPid = readPid('task.pid');
    const grandchild = readPid('grandchild.pid');
    expect(alive(taskPid) && alive(grandchild)).toBe(true);
    await rig.startWorker('w2');

    w1.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await rig.until(async () => (await rig.status(planId)).tasks?.[0]?.status !== 'running', 10_000, 'task re-queued');
    // Liveness is 3 heartbeats (600 ms); allow one more interval for the check to run.
    expect(Date.now() - killedAt).toBeLessThan(200 * 4 + 400);

    const final = await rig.finished(planId, 20_000);
    expect(final.state).toBe('completed');
    expect(final.tasks?.[0]).toMatchObject({ status: 'completed', attempts: 2, worker_id: 'w2' });
    const completions = rig.readDb((db) =>
      db.prepare("SELECT count(*) AS n FROM attempts WHERE outcome = 'completed'").get(),
    ) as { n: number };
    expect(completions.n).toBe(1);
    const events = rig.readDb((db) =>
      db.prepare("SELECT count(*) AS n FROM events WHERE event_type = 'task_completed'").get(),
    ) as { n: number };
    expect(events.n).toBe(1);
    expect(readFileSync(join(rig.work, 'runs.log'), 'utf8')).toBe('ran attempt 2\n');
    // The sentinel killed the killed worker's task group: the task and what it started.
    await rig.until(() => !alive(taskPid) && !alive(grandchild), 5_000, 'killed copy gone');
  });

  it('kill -9 of the brain mid-plan, then a restart: the plan finishes, nothing is lost, nothing completed runs ' +
    'again', {
    timeout: boundFor(4, 45_000),
  }, async () => {
    const brain = await rig.startBrain();
    await rig.startWorker('w1');
    await rig.startWorker('w2');
    const step = (name: string) => `sleep 0.4; mkdir -p "$RIGMIND_WORK"; echo ${name} >> "$RIGMIND_WORK/runs.log"`;
    const tasks = [
      { name: 's1', command: step('s1') },
      { name: 's2', command: step('s2'), depends_on: ['s1'] },
      { name: 'p1', command: step('p1'), depends_on: ['s2'] },
      { name: 'p2', command: step('p2'), depends_on: ['s2'] },
      { name: 'p3', command: step('p3'), depends_on: ['s2'] },
      { name: 's3', command: step('s3'), depends_on: ['p1', 'p2', 'p3'] },
      { name: 's4', command: step('s4'), depends_on: ['s3'] },
    ];
    const planId = await submit({ plan: 'resilient', tasks });
    await rig.until(async () => ((await rig.status(planId)).counts.completed ?? 0) >= 2, 15_000, 'two tasks done');

    brain.proc.kill('SIGKILL');
    await brain.proc;
    await new Promise((resolve) => setTimeout(resolve, 600));
    await rig.startBrain();

    const final = await rig.finished(planId, 30_000);
    expect(final.state).toBe('completed');
    expect(final.tasks?.every((task) => task.status === 'completed')).toBe(true);
    const runs = readFileSync(join(rig.work, 'runs.log'), 'utf8').trim().split('\n');
    expect(runs.slice().sort()).toEqual(tasks.map((task) => task.name).sort());
    const completions = rig.readDb((db) =>
      db.prepare("SELECT task_id, count(*) AS n FROM attempts WHERE outcome = 'completed' GROUP BY task_id").all(),
    ) as { n: number }[];
    expect(completions).toHaveLength(tasks.length);
    expect(completions.every((row) => row.n === 1)).toBe(true);
  });
});
