import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMessage, encodeMessage, type Message, type Task } from '@rigmind/protocol';
import { DealerSocket } from '../../../rig/src/transport/zmq.js';
import { RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
let raw: DealerSocket;
let inbox: AsyncGenerator<Awaited<ReturnType<AsyncGenerator<unknown>['next']>>['value']>;
beforeEach(async () => {
  // A 1 MiB limit keeps the oversized frames of these tests small.
  rig = new RigHarness({ extraConfig: { max_frame_bytes: 1024 * 1024 } });
  await rig.startBrain();
  raw = new DealerSocket({ maxMessageBytes: 4 * 1024 * 1024 }, () => undefined);
  raw.connect(rig.router);
  inbox = raw.messages({}) as typeof inbox;
});
afterEach(async () => {
  raw.close();
  await rig.cleanup();
});

/** The next reply on the raw socket (bounded wait). */
async function nextReply(): Promise<Message> {
  const next = await Promise.race([inbox.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no reply')), 5_000))]);
  const parsed = next.value as { ok: boolean; value: Message };
  expect(parsed.ok).toBe(true);
  return parsed.value;
}

describe('the brain refuses bad input and keeps serving', () => {
  it('answers garbage, wrong versions, extra frames and invalid messages with a refusal naming the problem', async () => {
    raw.sendRaw(['not json at all']);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_json' });
    raw.sendRaw([JSON.stringify({ v: 99, kind: 'status_request' })]);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'version_mismatch' });
    raw.sendRaw(['{}', '{}']);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_message' });
    raw.sendRaw([Buffer.from([0xff, 0xfe, 0x00, 0x01])]);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_utf8' });
    raw.sendRaw([JSON.stringify({ ...createMessage('submit_plan', { role: 'client', id: 'c' }, { plan: { plan: 'p', tasks: [] } }) })]);
    const invalid = await nextReply();
    expect(invalid).toMatchObject({ kind: 'refused', code: 'invalid_message' });
    expect(JSON.stringify(invalid)).toContain('plan.tasks');
    const status = await rig.client.request('status_request', {});
    expect(status.ok).toBe(true);
  });

  it('refuses an oversized frame without falling over', async () => {
    raw.sendRaw(['x'.repeat(1024 * 1024 + 10)]);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'frame_too_large' });
    // Beyond twice the limit ZeroMQ itself drops the connection; the brain goes on.
    const huge = new DealerSocket({ maxMessageBytes: 8 * 1024 * 1024 }, () => undefined);
    huge.connect(rig.router);
    huge.sendRaw(['y'.repeat(3 * 1024 * 1024)]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    huge.close();
    expect((await rig.client.request('status_request', {})).ok).toBe(true);
  });

  it('refuses a dispatch sent by a client or a worker: the dispatch rule, enforced by protocol', async () => {
    const task: Task = {
      task_id: 'x.a', plan_id: 'x', name: 'a', type: 'shell', command: 'rm -rf /', task_class: 'cpu', executor: 'worker', depends_on: [],
      priority: 5, status: 'queued', created_at: new Date().toISOString(), retry_count: 0, max_retries: 3, timeout_s: 10,
      requires_external: false, sensitive: false, source: 'evil',
    };
    for (const role of ['client', 'worker', 'gateway'] as const) {
      raw.sendRaw([encodeMessage(createMessage('dispatch', { role, id: 'mallory' }, { task, attempt: 1 }))]);
      const reply = await nextReply();
      expect(reply).toMatchObject({ kind: 'refused', code: 'dispatch_forbidden' });
      expect((reply as { message: string }).message).toContain(`a ${role} may not send 'dispatch'`);
    }
  });

  it('refuses a plan with a cycle or an unknown dependency, naming them, and queues nothing', async () => {
    const cycle = await rig.client.request('submit_plan', {
      plan: { plan: 'loop', tasks: [{ name: 'a', command: 'true', depends_on: ['c'] }, { name: 'b', command: 'true', depends_on: ['a'] }, { name: 'c', command: 'true', depends_on: ['b'] }] },
    });
    expect(cycle.ok).toBe(false);
    if (cycle.ok) return;
    expect(cycle.code).toBe('plan_invalid');
    expect(cycle.issues.map((issue) => issue.message).join('\n')).toMatch(/cycle.*a.*->.*a/s);
    const unknown = await rig.client.request('submit_plan', { plan: { plan: 'typo', tasks: [{ name: 'a', command: 'true' }, { name: 'b', command: 'true', depends_on: ['aa'] }] } });
    expect(unknown.ok).toBe(false);
    if (unknown.ok) return;
    expect(unknown.issues[0]).toMatchObject({ path: 'tasks[1].depends_on[0]' });
    expect(unknown.issues[0]?.message).toContain("'aa'");
    const status = await rig.client.request('status_request', {});
    expect(status.ok && status.reply.kind === 'status_reply' && status.reply.plans).toEqual([]);
  });
});
