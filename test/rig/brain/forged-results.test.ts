import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMessage, type AttemptResult } from '@rigmind/protocol';
import { DealerSocket } from '../../../rig/src/transport/zmq.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';
import { submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const forged: AttemptResult = {
  outcome: 'failed',
  return_code: 1,
  signal: null,
  elapsed_seconds: 0.1,
  output_lines: 0,
  error_snippet: 'forged',
};

/** A raw DEALER on the brain's socket: a connection of its own, whoever it says it is. */
function peer(rig: RigHarness): DealerSocket {
  const socket = new DealerSocket({ maxMessageBytes: 1024 * 1024 }, () => undefined);
  track({ close: () => socket.close() });
  socket.connect(rig.router);
  return socket;
}

describe('who may complete a lease', () => {
  it('only from the connection the lease was given to: forgeries refused and recorded, the real one ' +
    'stands', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 200 }));
    await rig.startBrain();
    await rig.startWorker('w1');
    const gate = join(rig.home, 'gate');
    // Runs until the test opens the gate (bounded: 30 s at most), then succeeds.
    const command = `for i in $(seq 1 600); do [ -f ${gate} ] && break; sleep 0.05; done; [ -f ${gate} ] && echo real`;
    const planId = await submit(rig, { plan: 'forged', tasks: [{ name: 'victim', command, max_retries: 0 }] });
    const victim = async () => (await rig.status(planId)).tasks?.[0];
    await rig.until(async () => (await victim())?.status === 'running', 15_000, 'the task running on w1');
    const running = await victim();
    expect(running).toMatchObject({ worker_id: 'w1', attempts: 1 });
    const claim = { task_id: running?.task_id ?? '', attempt: 1, result: forged };

    // A peer calling itself `evil`, unregistered; another that registers as `evil` first; one calling itself w1.
    peer(rig).send(createMessage('task_result', { role: 'worker', id: 'evil' }, claim));
    const registered = peer(rig);
    const info = {
      id: 'evil',
      gpus: [],
      classes: ['cpu' as const],
      executor: 'worker' as const,
      slots: 1,
      simulated: false,
      host: hostname(),
      pid: 1,
    };
    registered.send(createMessage('register', { role: 'worker', id: 'evil' }, { worker: info, running: [] }));
    const evilKnown = async () => (await rig.workers()).some((worker) => worker.id === 'evil');
    await rig.until(evilKnown, 10_000, 'evil registered');
    registered.send(createMessage('task_result', { role: 'worker', id: 'evil' }, claim));
    peer(rig).send(createMessage('task_result', { role: 'worker', id: 'w1' }, claim));

    const refused = () =>
      rig.readDb((db) =>
        db
          .prepare(
            `SELECT json_extract(body, '$.worker_id') AS worker, json_extract(body, '$.cause') AS cause
             FROM events WHERE event_type = 'result_refused' ORDER BY seq`,
          )
          .all(),
      );
    // Until all three are answered, or one of them took the task from w1.
    const answered = async () => refused().length >= 3 || (await victim())?.status !== 'running';
    await rig.until(answered, 10_000, 'three answers');
    expect(await victim()).toMatchObject({ status: 'running', worker_id: 'w1' });
    expect(refused()).toEqual(
      expect.arrayContaining([
        { worker: 'evil', cause: 'connection_not_registered' },
        { worker: 'evil', cause: 'not_lease_holder' },
        { worker: 'w1', cause: 'connection_not_registered' },
      ]),
    );

    writeFileSync(gate, '');
    const final = await rig.finished(planId, 20_000);
    expect(final.state).toBe('completed');
    expect(final.tasks?.[0]).toMatchObject({ status: 'completed', worker_id: 'w1', attempts: 1 });
    const outcomes = rig.readDb((db) => db.prepare('SELECT worker_id, outcome FROM attempts').all());
    expect(outcomes).toEqual([{ worker_id: 'w1', outcome: 'completed' }]);
  }, 60_000);
});
