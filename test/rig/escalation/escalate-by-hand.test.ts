import { describe, expect, it } from 'vitest';
import type { TaskStatusRow } from '@rigmind/protocol';
import { startHarness } from '../../gateway/gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor, SATURATION_FACTOR } from '../../helpers/process-start.js';
import { rigFor, submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const HEARTBEAT_MS = 200; // the harness's config
/**
 * How long the brain takes over `tasks` short shell tasks (or handoffs to the stub gateway, which answers at once):
 * a liveness window of heartbeats per task for dispatch and result, times the slowdown of a saturated machine.
 */
const workMs = (tasks: number): number => tasks * 3 * HEARTBEAT_MS * SATURATION_FACTOR;
/** The brain and a worker, then five `rigmind escalate` runs, one after another. */
const BY_HAND_STARTS = 7;
/** The brain and a worker, then `rigmind escalate` three times and `rigmind cancel`. */
const HELD_STARTS = 6;

const byName = (tasks: readonly TaskStatusRow[] | undefined) =>
  Object.fromEntries((tasks ?? []).map((task) => [task.name, task]));

describe('rigmind escalate TASK_ID: a person hands a task to the external tier', () => {
  // The plan runs twice, each time within the window of its four tasks.
  it('hands over a failed task with the dependents it failed; refuses, as values, what it may not hand over', {
    timeout: boundFor(BY_HAND_STARTS, 2 * workMs(4)),
  }, async () => {
    const gateway = track(
      await startHarness({ stub: { reply: () => JSON.stringify({ type: 'answer', text: 'answered by hand' }) } }),
    );
    const gw = gateway;
    const rig = track(rigFor(gw));
    await rig.startBrain();
    await rig.startWorker('w1', ['--slots', '2']);
    const planId = await submit(rig, {
      plan: 'by-hand',
      tasks: [
        { name: 'flaky', command: 'echo the local failure >&2; exit 1', max_retries: 0 },
        { name: 'after', depends_on: ['flaky'], command: 'echo after' },
        { name: 'secret', command: 'exit 1', max_retries: 0, sensitive: true },
        { name: 'fine', command: 'true' },
      ],
    });
    const first = byName((await rig.finished(planId, workMs(4))).tasks);
    expect(first['flaky']).toMatchObject({ status: 'failed' });
    expect(first['after']).toMatchObject({ status: 'failed', cause: 'upstream_failed: flaky' });

    // Refused with a reason, exit 1, and nothing changed or sent.
    const unknown = await rig.run(['escalate', `${planId}.nope`]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(`not_found: no task '${planId}.nope'`);
    const completed = await rig.run(['escalate', `${planId}.fine`]);
    expect(completed.exitCode).toBe(1);
    expect(completed.stderr).toContain(`not_escalatable: task '${planId}.fine' is completed`);
    const sensitive = await rig.run(['escalate', `${planId}.secret`]);
    expect(sensitive.exitCode).toBe(1);
    expect(sensitive.stderr).toMatch(/is sensitive, and plan .* does not allow escalating it/);
    expect(byName((await rig.status(planId)).tasks)['secret']).toMatchObject({
      status: 'failed',
      cause: first['secret']?.cause,
    });
    expect(gw.stub.received).toHaveLength(0);

    // A failed task: handed over with its attempt; the answer completes it and the reopened dependent runs.
    const handed = await rig.run(['escalate', `${planId}.flaky`]);
    expect(handed.exitCode).toBe(0);
    expect(handed.stdout).toContain(`handed to the external tier: ${planId}.flaky (reopened with it: ${planId}.after)`);
    const done = byName((await rig.finished(planId, workMs(4))).tasks);
    expect(done['flaky']).toMatchObject({ status: 'completed', source: 'external:gateway' });
    expect(done['after']).toMatchObject({ status: 'completed', worker_id: 'w1' });
    expect(done['secret']).toMatchObject({ status: 'failed' });
    expect(gw.stub.received).toHaveLength(1);
    expect(gw.stub.received[0]?.body).toContain('the local failure');
    const output = rig.readDb((db) =>
      db.prepare('SELECT output FROM tasks WHERE task_id = ?').pluck().get(`${planId}.flaky`),
    );
    expect(output).toBe('answered by hand');

    const again = await rig.run(['escalate', `${planId}.flaky`, '--json']);
    expect(again.exitCode).toBe(1);
    // With --json the refusal is one JSON document on stdout, carrying its code.
    const refused = JSON.parse(again.stdout) as { error: { code: string; message: string; exit: number } };
    expect(refused.error).toMatchObject({ code: 'not_escalatable', exit: 1 });
    expect(refused.error.message).toContain('is completed');
  });

  it('asks again for a task held after a decline; refuses running and blocked tasks', {
    timeout: boundFor(HELD_STARTS, 3 * workMs(3)),
  }, async () => {
    let asked = 0;
    const gateway = track(
      await startHarness({
        stub: {
          reply: () => {
            asked += 1;
            return JSON.stringify(
              asked === 1
                ? { type: 'decline', reason: 'say which report' }
                : { type: 'answer', text: 'second time lucky' },
            );
          },
        },
      }),
    );
    const gw = gateway;
    const rig = track(rigFor(gw, gw.server.url, { on_decline: 'hold' }));
    await rig.startBrain();
    await rig.startWorker('w1', ['--slots', '2']);
    const planId = await submit(rig, {
      plan: 'held',
      tasks: [
        { name: 'ask', command: 'false', requires_external: true },
        // Running until cancelled: it must still be running when the two CLI processes after it look at it.
        { name: 'slow', command: `sleep ${Math.ceil(boundFor(HELD_STARTS) / 1000)}` },
        { name: 'waits', depends_on: ['slow'], command: 'true' },
      ],
    });
    const h = rig;
    await h.until(
      async () =>
        /held for a person: say which report/.test(byName((await h.status(planId)).tasks)['ask']?.cause ?? ''),
      workMs(3),
      'the decline held',
    );
    await h.until(
      async () => byName((await h.status(planId)).tasks)['slow']?.status === 'running',
      workMs(3),
      'slow running',
    );

    const running = await h.run(['escalate', `${planId}.slow`]);
    expect(running.exitCode).toBe(1);
    expect(running.stderr).toContain('is running; escalate it if it fails, or cancel it first');
    const blocked = await h.run(['escalate', `${planId}.waits`]);
    expect(blocked.exitCode).toBe(1);
    expect(blocked.stderr).toContain('is waiting for the tasks it depends on');

    const again = await h.run(['escalate', `${planId}.ask`, '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ detail: 'handed to the external tier', affected: [`${planId}.ask`] });
    await h.until(
      async () => byName((await h.status(planId)).tasks)['ask']?.status === 'completed',
      workMs(3),
      'the second answer',
    );
    expect(byName((await h.status(planId)).tasks)['ask']).toMatchObject({ source: 'external:gateway' });
    // Two handoffs, two keys: asking again is a new request, not a replay of the declined one.
    const keys = gw.gateway.db
      .prepare('SELECT idempotency_key FROM escalations ORDER BY created_at')
      .pluck()
      .all() as string[];
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    expect(await h.run(['cancel', planId])).toMatchObject({ exitCode: 0 });
  });
});
