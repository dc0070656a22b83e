import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RigConfigSchema } from '@rigmind/protocol';
import { GpuProbe } from '../../../rig/src/gpu/gpu-probe.js';
import { assembleWorker, type WorkerParts } from '../../../rig/src/worker/assemble-worker.js';
import { makeFakeGpus, updateFakeGpuState } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { PROCESS_START_MS } from '../../helpers/process-start.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

describe("a worker's thermal guard", () => {
  it('stops taking work before it reports the card hot, so no brain hears `hot` and still leases to it', async () => {
    // A busy-machine run caught the brain leasing a task to a hot card: the worker reported `hot`, a test (as a
    // person would) submitted work on hearing it, and the `accepting: false` heartbeat came only after the event.
    const gpus = await makeFakeGpus();
    cleanups.push(() => gpus.remove());
    await updateFakeGpuState(gpus.statePath, (state) => {
      const card = state.gpus.find((gpu) => gpu.index === 2);
      if (card !== undefined) card.temperature_c = 88;
    });
    const config = RigConfigSchema.parse({ gpu: { poll_ms: 100 } });
    const parts: WorkerParts = assembleWorker({
      workerId: 'gpu2',
      gpus: [{ index: 2, vram_mb: 6144 }],
      config,
      logger: pino({ level: 'silent' }),
      simulateGpus: false,
      simulateLlm: true,
      ollamaUrl: 'http://127.0.0.1:1',
      timeScale: 1,
      probe: new GpuProbe({ env: gpus.env }),
    });
    cleanups.push(() => parts.stop());
    const calls: string[] = [];
    const hot = new Promise<void>((resolve) => {
      parts.start({
        report: (event) => {
          calls.push(`report:${String(event.detail?.['kind'] ?? event.event_type)}`);
          if (event.detail?.['kind'] === 'hot') resolve();
        },
        setAccepting: (accepting) => calls.push(`accepting:${accepting}`),
      });
    });
    await Promise.race([
      hot,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no hot report')), PROCESS_START_MS)),
    ]);
    expect(calls.indexOf('accepting:false')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('accepting:false')).toBeLessThan(calls.indexOf('report:hot'));
  });
});
