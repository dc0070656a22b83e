import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHUNK_TASKS,
  MAX_PLAN_TASKS,
  type Message,
  type MessageOf,
  type PlanHeader,
  type PlanTask,
} from '@rigmind/protocol';
import type { ClientResult } from '../../../rig/src/client/brain-client.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

/** A chain whose head is a GPU script: a cpu-only worker (or none) takes none of it. */
function chain(n: number): PlanTask[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `shard-${i}`,
    command: `python3 scripts/step.py --shard ${i}`,
    ...(i === 0 ? { task_class: 'script' as const } : { depends_on: [`shard-${i - 1}`] }),
  }));
}

/** The payload of chunk `index` of an upload of `tasks` in chunks of MAX_CHUNK_TASKS. */
function chunk(uploadId: string, tasks: readonly PlanTask[], index: number, header: PlanHeader = { plan: 'up' }) {
  const chunks = Math.ceil(tasks.length / MAX_CHUNK_TASKS);
  const slice = tasks.slice(index * MAX_CHUNK_TASKS, (index + 1) * MAX_CHUNK_TASKS);
  return { upload_id: uploadId, index, chunks, ...(index === 0 ? { plan: header } : {}), tasks: slice };
}

function answer(result: ClientResult): Message {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}

function brainLog(rig: RigHarness): string {
  const dir = join(rig.home, 'logs');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('\n');
}

const stored = (rig: RigHarness) =>
  rig.readDb((db) =>
    db.prepare('SELECT (SELECT count(*) FROM plans) AS plans, (SELECT count(*) FROM tasks) AS tasks').get(),
  );

describe('a plan uploaded in chunks', () => {
  it('is taken a chunk per turn: a request sent after each chunk is answered before the next chunk, and one sent ' +
    'after the last before the plan is accepted', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 1_000 }));
    await rig.startBrain();
    const tasks = chain(4 * MAX_CHUNK_TASKS);
    // Everything pipelined on one connection, whose frames the brain takes in order: the order of the answers is
    // the order in which the brain finished each piece of work. A chunk is answered in its own frame's turn; the
    // last one's plan is checked and stored on later turns, with the status request served before it ends.
    const order: string[] = [];
    const replies: Promise<unknown>[] = [];
    const send = (label: string, request: Promise<ClientResult>) =>
      replies.push(request.then((result) => order.push(`${label}:${answer(result).kind}`)));
    let statusOfLast: Promise<ClientResult> | undefined;
    for (let index = 0; index < 4; index += 1) {
      send(`chunk ${index}`, rig.client.request('plan_chunk', chunk('u1', tasks, index), 60_000));
      const status = rig.client.request('status_request', {}, 60_000);
      if (index === 3) statusOfLast = status;
      send(`status ${index}`, status);
    }
    await Promise.all(replies);
    expect(order).toEqual([
      'chunk 0:chunk_received',
      'status 0:status_reply',
      'chunk 1:chunk_received',
      'status 1:status_reply',
      'chunk 2:chunk_received',
      'status 2:status_reply',
      'status 3:status_reply',
      'chunk 3:plan_accepted',
    ]);
    // Answered while the plan was being checked or stored: not listed, since it was not all on disk yet.
    const last = answer(await (statusOfLast as Promise<ClientResult>)) as MessageOf<'status_reply'>;
    expect(last.plans).toEqual([]);
    const planId = rig.readDb((db) => db.prepare('SELECT plan_id FROM plans').pluck().get() as string);
    const status = await rig.status(planId);
    expect(status.total).toBe(4 * MAX_CHUNK_TASKS);
    expect(status.counts).toEqual({ queued: 1, blocked: 4 * MAX_CHUNK_TASKS - 1 });
  }, 180_000);

  it('checks the whole plan: an issue in one chunk against a name in another is refused with every issue', async () => {
    const rig = track(new RigHarness());
    await rig.startBrain();
    const tasks = chain(2 * MAX_CHUNK_TASKS);
    tasks[3] = { name: 'shard-3', command: 'echo', depends_on: ['shard-99999'] };
    tasks[MAX_CHUNK_TASKS + 1] = { name: 'shard-0', command: 'echo' };
    answer(await rig.client.request('plan_chunk', chunk('u1', tasks, 0), 30_000));
    const refused = await rig.client.request('plan_chunk', chunk('u1', tasks, 1), 30_000);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.code).toBe('plan_invalid');
    // The renamed task's dependent now names a task that is not there: three issues, across both chunks.
    expect(refused.issues.map((issue) => [issue.path, issue.message.split(':')[0]])).toEqual([
      [`tasks[${MAX_CHUNK_TASKS + 1}].name`, 'duplicate_name'],
      ['tasks[3].depends_on[0]', 'unknown_dependency'],
      [`tasks[${MAX_CHUNK_TASKS + 2}].depends_on[0]`, 'unknown_dependency'],
    ]);
    expect(stored(rig)).toEqual({ plans: 0, tasks: 0 });
  });

  it('is never stored nor run unless finished: one left idle expires, its next chunk is refused, and a ' +
    'restarted brain has none', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 100, extraConfig: { upload_idle_ms: 300 } }));
    const { proc } = await rig.startBrain();
    const tasks = chain(3 * MAX_CHUNK_TASKS);
    answer(await rig.client.request('plan_chunk', chunk('idle', tasks, 0), 30_000));
    await rig.until(() => brainLog(rig).includes('dropped a plan upload'), 30_000, 'the idle upload dropped');
    const late = await rig.client.request('plan_chunk', chunk('idle', tasks, 1), 30_000);
    expect(late.ok || late.code).toBe('upload_unknown');
    expect(stored(rig)).toEqual({ plans: 0, tasks: 0 });

    answer(await rig.client.request('plan_chunk', chunk('killed', tasks, 0), 30_000));
    answer(await rig.client.request('plan_chunk', chunk('killed', tasks, 1), 30_000));
    proc.kill('SIGKILL');
    await proc.catch(() => undefined);
    await rig.startBrain();
    const after = await rig.client.request('plan_chunk', chunk('killed', tasks, 2), 30_000);
    expect(after.ok || after.code).toBe('upload_unknown');
    expect(after.ok || after.message).toContain('send the plan again');
    expect(stored(rig)).toEqual({ plans: 0, tasks: 0 });
  }, 120_000);

  it('keeps its limits, each refused with a code that names it and answering its request', async () => {
    const rig = track(new RigHarness());
    await rig.startBrain();
    const tiny = (n: number, from = 0): PlanTask[] =>
      Array.from({ length: n }, (_, i) => ({ name: `t${from + i}`, command: 'x', task_class: 'cpu' as const }));
    const open = (id: string, chunks = 3) =>
      rig.client.request('plan_chunk', { upload_id: id, index: 0, chunks, plan: { plan: id }, tasks: tiny(1) });

    // Out of order: the upload is dropped.
    answer(await open('a'));
    const skipped = await rig.client.request('plan_chunk', { upload_id: 'a', index: 2, chunks: 3, tasks: tiny(1, 1) });
    expect(skipped.ok || skipped.code).toBe('upload_out_of_order');
    const afterSkip = await rig.client.request('plan_chunk', { upload_id: 'a', index: 1, chunks: 3, tasks: tiny(1) });
    expect(afterSkip.ok || afterSkip.code).toBe('upload_unknown');

    // At most MAX_OPEN_UPLOADS at once.
    for (const id of ['b', 'c', 'd', 'e']) answer(await open(id));
    const fifth = await open('f');
    expect(fifth.ok || fifth.code).toBe('too_many_uploads');
    expect(fifth.ok || fifth.message).toContain('MAX_OPEN_UPLOADS');

    // A chunk out of order ends each upload, freeing its place.
    for (const id of ['b', 'c', 'd', 'e']) {
      const wrong = await rig.client.request('plan_chunk', { upload_id: id, index: 2, chunks: 3, tasks: tiny(1, 1) });
      expect(wrong.ok || wrong.code).toBe('upload_out_of_order');
    }

    // At most MAX_PLAN_TASKS in all, however many chunks; the refusal names the limit.
    const chunks = Math.ceil(MAX_PLAN_TASKS / MAX_CHUNK_TASKS) + 1;
    let last: ClientResult | undefined;
    for (let index = 0; index < chunks; index += 1) {
      const payload = {
        upload_id: 'g',
        index,
        chunks,
        ...(index === 0 ? { plan: { plan: 'g' } } : {}),
        tasks: tiny(MAX_CHUNK_TASKS, index * MAX_CHUNK_TASKS),
      };
      last = await rig.client.request('plan_chunk', payload, 30_000);
      if (!last.ok) break;
    }
    expect(last?.ok || last?.code).toBe('plan_invalid');
    expect(last?.ok || last?.message).toContain(`at most ${MAX_PLAN_TASKS} tasks (MAX_PLAN_TASKS)`);
    expect(stored(rig)).toEqual({ plans: 0, tasks: 0 });
  }, 120_000);
});
