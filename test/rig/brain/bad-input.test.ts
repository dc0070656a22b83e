import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMessage, encodeMessage, type Message, type Task } from '@rigmind/protocol';
import { BrainClient } from '../../../rig/src/client/brain-client.js';
import { DealerSocket, RouterSocket } from '../../../rig/src/transport/zmq.js';
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
  const next = await Promise.race([
    inbox.next(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no reply')), 5_000)),
  ]);
  const parsed = next.value as { ok: boolean; value: Message };
  expect(parsed.ok).toBe(true);
  return parsed.value;
}

describe('the brain refuses bad input and keeps serving', () => {
  it('answers garbage, wrong versions, extra frames and invalid messages with a refusal that says why', async () => {
    raw.sendRaw(['not json at all']);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_json' });
    raw.sendRaw([JSON.stringify({ v: 99, kind: 'status_request' })]);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'version_mismatch' });
    raw.sendRaw(['{}', '{}']);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_message' });
    raw.sendRaw([Buffer.from([0xff, 0xfe, 0x00, 0x01])]);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_utf8' });
    raw.sendRaw([
      JSON.stringify({
        ...createMessage('submit_plan', { role: 'client', id: 'c' }, { plan: { plan: 'p', tasks: [] } }),
      }),
    ]);
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

  it('answers a refused frame by its msg_id: a client hears frame_too_large, not brain_unreachable', async () => {
    // A client that believes the limit is higher than the brain's: the brain refuses, and the refusal finds it.
    const plan = {
      plan: 'big',
      tasks: Array.from({ length: 30_000 }, (_, i) => ({ name: `t${i}`, command: `echo task ${i}` })),
    };
    const started = Date.now();
    const refused = await rig.client.request('submit_plan', { plan }, 20_000);
    expect(refused).toMatchObject({ ok: false, code: 'frame_too_large' });
    expect(refused.ok === false && refused.message).toContain('1048576-byte limit (max_frame_bytes)');
    expect(Date.now() - started).toBeLessThan(20_000);
    // A client told the brain's limit checks before sending: nothing goes out to be dropped.
    const careful = new BrainClient(rig.router, 1024 * 1024);
    try {
      const local = await careful.request('submit_plan', { plan }, 20_000);
      expect(local).toMatchObject({ ok: false, code: 'frame_too_large' });
      expect(local.ok === false && local.message).toContain('max_frame_bytes in config.json');
    } finally {
      await careful.close();
    }
  });

  it('refuses a plan whose bytes are not UTF-8, answering its request, instead of queueing U+FFFD', async () => {
    const message = createMessage(
      'submit_plan',
      { role: 'client', id: 'c' },
      { plan: { plan: 'latin', tasks: [{ name: 'a', command: 'echo caf#' }] } },
    );
    const frame = Buffer.from(encodeMessage(message));
    frame[frame.indexOf('caf#') + 3] = 0xe9;
    raw.sendRaw([frame]);
    expect(await nextReply()).toMatchObject({ kind: 'refused', code: 'invalid_utf8', re: message.msg_id });
    const status = await rig.client.request('status_request', {});
    expect(status.ok && status.value.kind === 'status_reply' && status.value.plans).toEqual([]);
  });

  it('takes a refusal that names no request as the answer to the oldest one, not as silence', async () => {
    // A stand-in for an older brain, which refused a frame it could not parse without saying which.
    const endpoint = `ipc://${rig.home}/old-brain.sock`;
    const old = new RouterSocket({ maxMessageBytes: 1024 * 1024 }, () => undefined);
    await old.bind(endpoint);
    const serving = (async () => {
      for await (const frame of old.frames({})) {
        old.send(
          frame.identity,
          createMessage(
            'refused',
            { role: 'brain', id: 'old' },
            { code: 'invalid_json', message: 'frame is not JSON', issues: [] },
          ),
        );
      }
    })();
    const client = new BrainClient(endpoint);
    try {
      const started = Date.now();
      const result = await client.request('status_request', {}, 10_000);
      expect(result).toMatchObject({ ok: false, code: 'invalid_json' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await client.close();
      await old.close();
      await serving;
    }
  });

  it('refuses a dispatch sent by a client or a worker: the dispatch rule, enforced by protocol', async () => {
    const task: Task = {
      task_id: 'x.a',
      plan_id: 'x',
      name: 'a',
      type: 'shell',
      command: 'rm -rf /',
      task_class: 'cpu',
      executor: 'worker',
      depends_on: [],
      priority: 5,
      status: 'queued',
      created_at: new Date().toISOString(),
      retry_count: 0,
      max_retries: 3,
      timeout_s: 10,
      requires_external: false,
      sensitive: false,
      source: 'evil',
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
      plan: {
        plan: 'loop',
        tasks: [
          { name: 'a', command: 'true', depends_on: ['c'] },
          { name: 'b', command: 'true', depends_on: ['a'] },
          { name: 'c', command: 'true', depends_on: ['b'] },
        ],
      },
    });
    expect(cycle.ok).toBe(false);
    if (cycle.ok) return;
    expect(cycle.code).toBe('plan_invalid');
    expect(cycle.issues.map((issue) => issue.message).join('\n')).toMatch(/cycle.*a.*->.*a/s);
    const unknown = await rig.client.request('submit_plan', {
      plan: {
        plan: 'typo',
        tasks: [
          { name: 'a', command: 'true' },
          { name: 'b', command: 'true', depends_on: ['aa'] },
        ],
      },
    });
    expect(unknown.ok).toBe(false);
    if (unknown.ok) return;
    expect(unknown.issues[0]).toMatchObject({ path: 'tasks[1].depends_on[0]' });
    expect(unknown.issues[0]?.message).toContain("'aa'");
    const status = await rig.client.request('status_request', {});
    expect(status.ok && status.value.kind === 'status_reply' && status.value.plans).toEqual([]);
  });
});
