import { readdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import { quietOutboxConfig, startHarness } from '../../gateway/gateway-harness.js';
import { rigFor, submit } from '../../helpers/rig-with-gateway.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { freePort, pipeTo } from '../../helpers/loopback.js';
import { boundFor } from '../../helpers/process-start.js';

/** Claude's stand-in advice, chosen by what the handoff says about the task. */
function advise(body: unknown): string {
  const text = JSON.stringify(body);
  if (text.includes('split_me')) {
    return JSON.stringify({
      type: 'subtasks',
      rationale: 'two steps',
      tasks: [
        { name: 'one', command: 'echo one' },
        { name: 'two', depends_on: ['one'], command: 'echo two' },
      ],
    });
  }
  if (text.includes('to_brain'))
    return JSON.stringify({ type: 'subtasks', tasks: [{ name: 'grab', command: 'true', executor: 'brain' }] });
  if (text.includes('declined')) return JSON.stringify({ type: 'decline', reason: 'not enough information' });
  return JSON.stringify({ type: 'answer', text: 'the external answer' });
}

const track = closesAfterEach();

// Each test's timeout: the processes it starts (brain, worker, CLI), each up to PROCESS_START_MS on a saturated
// machine, plus the waits it allows itself on the plan and the gateway (the sum of its `until` and `finished` bounds).
describe('the brain escalates through the gateway, and advice comes back into the brain only', () => {
  it('escalates after two local failures; integrates an answer, subtasks and a decline; keeps sensitive tasks local', {
    timeout: boundFor(2, 40_000),
  }, async () => {
    const gateway = track(await startHarness({ stub: { reply: advise } }));
    const rig = track(rigFor(gateway));
    await rig.startBrain();
    await rig.startWorker('w1', ['--slots', '2']);
    const planId = await submit(rig, {
      plan: 'escalations',
      tasks: [
        { name: 'answer_me', command: 'echo local try >&2; exit 1', max_retries: 5 },
        { name: 'after_answer', depends_on: ['answer_me'], command: 'echo after' },
        { name: 'split_me', command: 'false', requires_external: true },
        { name: 'declined', command: 'false', requires_external: true },
        { name: 'to_brain', command: 'false', requires_external: true },
        { name: 'secret', command: 'cat /etc/shadow', requires_external: true, sensitive: true },
      ],
    });
    const final = await rig.finished(planId, 40_000);
    const byName = Object.fromEntries((final.tasks ?? []).map((task) => [task.name, task]));
    // Two local failures, then the external tier answered; the dependent ran.
    expect(byName['answer_me']).toMatchObject({ status: 'completed', attempts: 2, source: 'external:gateway' });
    expect(byName['after_answer']).toMatchObject({ status: 'completed' });
    const output = rig.readDb((db) =>
      db.prepare('SELECT output FROM tasks WHERE task_id = ?').pluck().get(`${planId}.answer_me`),
    );
    expect(output).toBe('the external answer');
    // Subtasks were validated like a plan, recorded as external, run by the workers, then the parent completed.
    expect(byName['split_me.one']).toMatchObject({ status: 'completed', source: 'external:gateway', worker_id: 'w1' });
    expect(byName['split_me.two']).toMatchObject({ status: 'completed', source: 'external:gateway' });
    expect(byName['split_me']).toMatchObject({ status: 'completed', attempts: 0 });
    const order = rig.readDb((db) =>
      db
        .prepare(
          "SELECT json_extract(body, '$.plan_task_id') FROM events WHERE event_type = 'task_completed' AND plan_id " +
            '= ? ORDER BY seq',
        )
        .pluck()
        .all(planId),
    ) as string[];
    expect(order.indexOf('split_me.one')).toBeLessThan(order.indexOf('split_me.two'));
    expect(order.indexOf('split_me.two')).toBeLessThan(order.indexOf('split_me'));
    // A decline fails the task with the reason (on_decline: fail).
    expect(byName['declined']).toMatchObject({ status: 'failed' });
    expect(byName['declined']?.cause).toContain('declined by the external tier: not enough information');
    // Advice cannot put work on the brain's executor, let alone dispatch: refused, the task failed.
    expect(byName['to_brain']?.cause).toContain('advice may not assign tasks to the brain executor');
    expect(Object.keys(byName).some((name) => name.startsWith('to_brain.'))).toBe(false);
    // A sensitive task is never sent out unless the plan allows it.
    expect(byName['secret']?.cause).toContain('sensitive task');
    const upstream = gateway.stub.received.map((request) => request.body).join('\n');
    expect(upstream).not.toContain('/etc/shadow');
    expect(upstream).toContain('answer_me');
    expect(upstream).toContain('local try');
  });

  it('waits as waiting_external while the gateway is down, across a brain restart, and delivers when it returns', {
    timeout: boundFor(3, 10_000 + 20_000),
  }, async () => {
    const gateway = track(await startHarness({ stub: { reply: advise } }));
    const port = await freePort();
    const rig = track(rigFor(gateway, `http://127.0.0.1:${port}`));
    const brain = await rig.startBrain();
    await rig.startWorker('w1');
    const planId = await submit(rig, {
      plan: 'offline',
      tasks: [{ name: 'ask', command: 'false', requires_external: true }],
    });
    await rig.until(
      async () => ((await rig?.status(planId))?.tasks?.[0]?.cause ?? '').includes('waiting for the gateway'),
      10_000,
      'waiting for the gateway',
    );
    expect((await rig.status(planId)).tasks?.[0]?.status).toBe('waiting_external');

    brain.proc.kill('SIGKILL');
    await brain.proc;
    await rig.startBrain();
    expect((await rig.status(planId)).tasks?.[0]?.status).toBe('waiting_external');

    // The gateway comes back on its address: a loopback relay to the running gateway opens on that port.
    const target = Number(new URL(gateway.server.url).port);
    const relay = createServer((socket) => void pipeTo(socket, target));
    track(relay);
    await new Promise<void>((resolve) => relay?.listen(port, '127.0.0.1', resolve));
    const final = await rig.finished(planId, 20_000);
    expect(final.tasks?.[0]).toMatchObject({ status: 'completed', source: 'external:gateway' });
  });

  it('withdraws at the gateway what a canceled task left waiting there: never delivered, never paid for', {
    timeout: boundFor(2, 3 * 10_000 + 5_000),
  }, async () => {
    // Upstream is down, and the escalation waits in the outbox between its tries.
    const gateway = track(await startHarness({ config: quietOutboxConfig }));
    const gw = gateway;
    const upstreamPort = gw.stub.port;
    await gw.stub.close();
    const rig = track(rigFor(gw));
    const h = rig;
    await h.startBrain();
    const planId = await submit(h, {
      plan: 'withdrawn',
      tasks: [{ name: 'ask', command: 'false', requires_external: true }],
    });
    const pendingAtGateway = () =>
      gw.gateway.db.prepare("SELECT id FROM escalations WHERE state = 'pending'").pluck().get() as string | undefined;
    await h.until(() => pendingAtGateway() !== undefined, 10_000, 'the escalation pending at the gateway');
    const id = pendingAtGateway() as string;
    // The brain asks again when the gateway next tries upstream (its Retry-After), not on its own 100-400 ms backoff.
    const cause = async () => (await h.status(planId)).tasks?.[0]?.cause ?? '';
    await h.until(async () => /next try in \d+s/.test(await cause()), 10_000, 'the next try scheduled');
    expect(Number(/next try in (\d+)s/.exec(await cause())?.[1])).toBeGreaterThanOrEqual(29);

    expect(await h.run(['cancel', planId])).toMatchObject({ exitCode: 0 });
    const atGateway = () =>
      gw.gateway.db.prepare('SELECT state, response FROM escalations WHERE id = ?').get(id) as {
        state: string;
        response: string | null;
      };
    await h.until(() => atGateway().state !== 'pending', 10_000, 'the withdrawal');
    expect(JSON.parse(atGateway().response ?? '{}')).toMatchObject({ state: 'failed', error: { code: 'withdrawn' } });
    await h.until(
      () => h.readDb((db) => db.prepare('SELECT state FROM escalations').pluck().get()) === 'done',
      5_000,
      "the rig's row done",
    );
    expect(h.readDb((db) => db.prepare('SELECT detail FROM escalations').pluck().get())).toContain('withdrawn');

    // Upstream returns: the outbox has nothing of it to deliver.
    const revived = track(await startAnthropicStub({ port: upstreamPort }));
    await gw.gateway.outbox.tick();
    expect(revived.received).toHaveLength(0);
    expect(gw.gateway.db.prepare("SELECT COUNT(*) FROM ledger WHERE outcome = 'ok'").pluck().get()).toBe(0);
  });

  it('withdraws on cancel an escalation whose every reply was lost, found by its idempotency key', {
    timeout: boundFor(2, 3 * 10_000 + 5_000),
  }, async () => {
    const gateway = track(await startHarness({ config: quietOutboxConfig }));
    const gw = gateway;
    await gw.stub.close();
    // Every POST reaches the gateway and its reply is lost (the connection cut as it starts); GET and DELETE pass.
    const target = Number(new URL(gw.server.url).port);
    const relay = track(
      createServer((socket) => {
        let lose = false;
        socket.once('data', (chunk: Buffer) => {
          lose = chunk.subarray(0, 5).toString('latin1') === 'POST ';
        });
        const upstream = connect(target, '127.0.0.1');
        socket.pipe(upstream);
        upstream.on('data', (chunk: Buffer) => (lose ? socket.destroy() : socket.write(chunk)));
        upstream.on('end', () => socket.end());
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        socket.on('close', () => upstream.destroy());
      }),
    );
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const rig = track(rigFor(gw, `http://127.0.0.1:${(relay.address() as AddressInfo).port}`));
    await rig.startBrain();
    const planId = await submit(rig, {
      plan: 'lost-then-canceled',
      tasks: [{ name: 'ask', command: 'false', requires_external: true }],
    });
    const atGateway = () =>
      gw.gateway.db.prepare('SELECT state, response FROM escalations').all() as {
        state: string;
        response: string | null;
      }[];
    await rig.until(() => atGateway().length === 1, 10_000, 'the escalation at the gateway');
    await rig.until(
      async () => /unreachable/.test((await rig.status(planId)).tasks?.[0]?.cause ?? ''),
      10_000,
      'a lost reply',
    );
    expect(rig.readDb((db) => db.prepare('SELECT escalation_id FROM escalations').pluck().get())).toBeNull();

    expect(await rig.run(['cancel', planId])).toMatchObject({ exitCode: 0 });
    await rig.until(() => atGateway()[0]?.state !== 'pending', 10_000, 'the withdrawal');
    expect(JSON.parse(atGateway()[0]?.response ?? '{}')).toMatchObject({ error: { code: 'withdrawn' } });
    expect(atGateway()).toHaveLength(1);
    await rig.until(
      () => rig.readDb((db) => db.prepare('SELECT state FROM escalations').pluck().get()) === 'done',
      5_000,
      "the rig's row done",
    );
  });

  it('resends a handoff whose reply was lost under the same idempotency key: one escalation, one upstream call', {
    timeout: boundFor(2, 10_000 + 20_000),
  }, async () => {
    const gateway = track(await startHarness({ stub: { reply: advise } }));
    // The first call takes a while upstream, and the rig's first connection is cut while it does.
    gateway.stub.script({ kind: 'ok', afterMs: 700 });
    const target = Number(new URL(gateway.server.url).port);
    let connections = 0;
    const relay = createServer((socket) => {
      connections += 1;
      const upstream = pipeTo(socket, target);
      if (connections === 1) {
        socket.once('data', () => {
          setTimeout(() => {
            socket.destroy();
            upstream.destroy();
          }, 200);
        });
      }
    });
    track(relay);
    await new Promise<void>((resolve) => relay?.listen(0, '127.0.0.1', resolve));
    const rig = track(rigFor(gateway, `http://127.0.0.1:${(relay.address() as AddressInfo).port}`));
    await rig.startBrain();
    await rig.startWorker('w1');
    const planId = await submit(rig, {
      plan: 'lost-reply',
      tasks: [{ name: 'ask', command: 'echo first output; exit 1', max_retries: 5 }],
    });
    // The handoff carries the attempt's output; the file changes before the resend (a log rotated, say). The
    // resend must still be the request first sent, or the gateway would refuse the key with a different body.
    const h = gateway;
    await rig.until(async () => h.stub.received.length > 0, 10_000, 'the first call upstream');
    expect(h.stub.received[0]?.body).toContain('first output');
    const outputs = readdirSync(rig.home, { recursive: true, encoding: 'utf8' }).filter((name) =>
      name.endsWith('.stdout'),
    );
    expect(outputs.length).toBeGreaterThan(0);
    for (const name of outputs) writeFileSync(join(rig.home, name), 'rotated\n');
    const final = await rig.finished(planId, 20_000);
    expect(final.tasks?.[0]).toMatchObject({ status: 'completed', source: 'external:gateway' });
    expect(connections).toBeGreaterThan(1);
    expect(gateway.stub.received).toHaveLength(1);
    const rows = gateway.gateway.db.prepare('SELECT idempotency_key FROM escalations').pluck().all() as string[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^handoff-/);
  });
});
