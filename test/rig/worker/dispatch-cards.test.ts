import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskSchema, createMessage, type Message, type MessageOf, type Task } from '@rigmind/protocol';
import { RouterSocket, type RoutedFrame } from '../../../rig/src/transport/zmq.js';
import type { RunRequest } from '../../../rig/src/worker/task-runner.js';
import { Worker } from '../../../rig/src/worker/worker.js';

const BRAIN = { role: 'brain' as const, id: 'test-brain' };
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function task(name: string): Task {
  return TaskSchema.parse({
    task_id: `p.${name}`,
    plan_id: 'p',
    name,
    type: 'shell',
    command: 'true',
    task_class: 'script',
    executor: 'worker',
    depends_on: [],
    priority: 5,
    status: 'leased',
    created_at: new Date().toISOString(),
    retry_count: 0,
    source: 'test',
    max_retries: 0,
    timeout_s: 60,
    requires_external: false,
    sensitive: false,
  });
}

/** A worker on cards 0 and 3 (the brain's), against a ROUTER that this test drives as the brain. */
async function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'rigmind-cards-'));
  const endpoint = `ipc://${dir}/brain.sock`;
  const router = new RouterSocket({ maxMessageBytes: 1 << 20 }, () => undefined);
  await router.bind(endpoint);
  const frames = router.frames({ from: ['worker'], maxBytes: 1 << 20 })[Symbol.asyncIterator]();
  const seen: RunRequest[] = [];
  const worker = new Worker({
    info: {
      id: 'brain',
      gpus: [
        { index: 0, vram_mb: 6144 },
        { index: 3, vram_mb: 6144 },
      ],
      classes: ['script'],
      executor: 'brain',
      slots: 1,
      simulated: true,
      host: 'test',
      pid: process.pid,
    },
    endpoint,
    taskLogDir: dir,
    logger: pino({ level: 'silent' }),
    maxFrameBytes: 1 << 20,
    heartbeatMs: 1_000,
    liveness: 3,
    runnerFor: () => ({
      run: async (request) => {
        seen.push(request);
        request.onStarted(null);
        return {
          outcome: 'completed',
          return_code: 0,
          signal: null,
          elapsed_seconds: 0,
          output_lines: 0,
          error_snippet: '',
        };
      },
    }),
  });
  worker.start();
  cleanup.push(async () => {
    await worker.stop();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const next = async (kind: Message['kind']): Promise<RoutedFrame & { message: Message }> => {
    for (;;) {
      const frame = await frames.next();
      if (frame.done === true) throw new Error('router closed');
      if (frame.value.parsed.ok && frame.value.parsed.value.kind === kind)
        return { ...frame.value, message: frame.value.parsed.value };
    }
  };
  const { identity } = await next('register');
  router.send(identity, createMessage('welcome', BRAIN, { heartbeat_ms: 1_000, liveness: 3, abandon: [] }));
  const dispatch = async (name: string, gpus: number[]) => {
    router.send(identity, createMessage('dispatch', BRAIN, { task: task(name), attempt: 1, gpus }));
    return (await next('task_result')).message as MessageOf<'task_result'>;
  };
  return { dispatch, seen };
}

describe('a dispatch naming cards', () => {
  it("runs the task on the named card of the worker's own", async () => {
    const { dispatch, seen } = await setUp();
    const result = await dispatch('lent', [3]);
    expect(result.result.outcome).toBe('completed');
    expect(seen.map((request) => request.gpus)).toEqual([[3]]);
  });

  it('fails the attempt, naming the card, when the worker does not have it', async () => {
    const { dispatch, seen } = await setUp();
    const result = await dispatch('elsewhere', [5]);
    expect(result.result).toMatchObject({ outcome: 'error', return_code: null });
    expect(result.result.error_snippet).toBe("dispatch names gpu 5, not one of this worker's cards (0, 3)");
    expect(seen).toEqual([]);
  });
});
