import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMessage, type Message, type RigEvent } from '@rigmind/protocol';
import { RouterSocket, type RoutedFrame } from '../../../rig/src/transport/zmq.js';
import { Worker } from '../../../rig/src/worker/worker.js';

// Regression tests for two faults a loaded machine showed (issue 15, item 9): card events sent before the brain
// welcomed the connection were dropped, and a register said nothing of whether the worker takes work.

const BRAIN = { role: 'brain' as const, id: 'test-brain' };
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function cardEvent(gpu: number, state: string): RigEvent {
  return { timestamp: new Date().toISOString(), event_type: 'gpu_state', gpu_id: gpu, detail: { state } };
}

/** A gpu_thermal event as the thermal guard reports it. */
function thermal(gpu: number, kind: string, temperature: number, detail: Record<string, unknown> = {}): RigEvent {
  const at = new Date().toISOString();
  return {
    timestamp: at,
    event_type: 'gpu_thermal',
    gpu_id: gpu,
    detail: { kind, temperature_c: temperature, ...detail },
  };
}

/** A worker on card 0 against a ROUTER this test drives as the brain; the register is not answered yet. */
async function setUp(beforeStart: (worker: Worker) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'rigmind-welcome-'));
  const endpoint = `ipc://${dir}/brain.sock`;
  const router = new RouterSocket({ maxMessageBytes: 1 << 20 }, () => undefined);
  await router.bind(endpoint);
  const frames = router.frames({ from: ['worker'], maxBytes: 1 << 20 })[Symbol.asyncIterator]();
  const worker = new Worker({
    info: {
      id: 'w0',
      gpus: [{ index: 0, vram_mb: 6144 }],
      classes: ['script'],
      executor: 'worker',
      slots: 1,
      simulated: true,
      host: 'test',
      pid: process.pid,
    },
    endpoint,
    taskLogDir: dir,
    logger: pino({ level: 'silent' }),
    maxFrameBytes: 1 << 20,
    // Long enough that no heartbeat of the worker's own timer comes between the steps below.
    heartbeatMs: 60_000,
    liveness: 3,
    runnerFor: () => {
      throw new Error('no task is dispatched in these tests');
    },
  });
  beforeStart(worker);
  worker.start();
  cleanup.push(async () => {
    await worker.stop();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const next = async (): Promise<RoutedFrame & { message: Message }> => {
    const frame = await frames.next();
    if (frame.done === true) throw new Error('router closed');
    if (!frame.value.parsed.ok) throw new Error('the worker sent a frame that does not parse');
    return { ...frame.value, message: frame.value.parsed.value };
  };
  const register = await next();
  expect(register.message.kind).toBe('register');
  return { worker, router, register, next };
}

describe('a worker before and after its welcome', () => {
  it('holds card events until the brain welcomes it, then sends them in order', async () => {
    const { worker, router, register, next } = await setUp();
    worker.report(cardEvent(0, 'loading'));
    worker.report(cardEvent(0, 'ready'));
    // A heartbeat sent after the two reports: a DEALER keeps order, so had the events gone out, they would come first.
    worker.setAccepting(false);
    const first = await next();
    expect(first.message.kind).toBe('heartbeat');

    router.send(register.identity, createMessage('welcome', BRAIN, { heartbeat_ms: 60_000, liveness: 3, abandon: [] }));
    // First whether it takes work (that heartbeat before the welcome went unheard), then the held events.
    const restated = (await next()).message;
    expect(restated.kind === 'heartbeat' && restated.accepting).toBe(false);
    const events = [await next(), await next()].map(({ message }) => message);
    expect(events.map((message) => message.kind)).toEqual(['worker_event', 'worker_event']);
    expect(
      events.map((message) => (message.kind === 'worker_event' ? message.event.detail?.['state'] : undefined)),
    ).toEqual(['loading', 'ready']);
    expect(events.every((message) => message.kind === 'worker_event' && message.event.worker_id === 'w0')).toBe(true);

    // Once welcomed, an event goes at once.
    worker.report(cardEvent(0, 'idle'));
    const after = await next();
    expect(after.message.kind === 'worker_event' && after.message.event.detail?.['state']).toBe('idle');
  });

  it('says in its register whether it takes work', async () => {
    const held = await setUp((worker) => worker.setAccepting(false));
    expect(held.register.message.kind === 'register' && held.register.message.accepting).toBe(false);
  });

  it('says in its register that it takes work when nothing holds it', async () => {
    const open = await setUp();
    expect(open.register.message.kind === 'register' && open.register.message.accepting).toBe(true);
  });

  it('names in every register the cards its guard holds, from hot until cooled', async () => {
    // Issue 15: a brain that reaped the worker or restarted never hears `hot` again (the guard says it once).
    const { worker, router, register, next } = await setUp((w) => {
      w.report(thermal(0, 'hot', 88, { stop_at_c: 83, resume_below_c: 78 }));
      w.report(thermal(0, 'alert', 90, { alert_at_c: 85 }));
    });
    const first = register.message.kind === 'register' ? register.message.held : undefined;
    expect(first).toEqual([{ gpu: 0, temperature_c: 90, stop_at_c: 83, resume_below_c: 78 }]);

    // Welcomed as the answer to that register (so a reregister later asks for a new one): the held events follow.
    router.send(
      register.identity,
      createMessage('welcome', BRAIN, { heartbeat_ms: 60_000, liveness: 3, abandon: [] }, register.message.msg_id),
    );
    const kinds = [(await next()).message.kind, (await next()).message.kind, (await next()).message.kind];
    expect(kinds).toEqual(['heartbeat', 'worker_event', 'worker_event']);
    worker.report(thermal(0, 'cooled', 77, { resume_below_c: 78 }));
    expect((await next()).message.kind).toBe('worker_event');
    router.send(register.identity, createMessage('reregister', BRAIN, { reason: 'unknown worker or new connection' }));
    const again = await next();
    expect(again.message.kind === 'register' ? again.message.held : undefined).toEqual([]);
  });
});
