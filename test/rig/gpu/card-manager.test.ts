import { EventSchema, systemRuntime, type RigEvent } from '@rigmind/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CardManager } from '../../../rig/src/gpu/card-manager.js';
import { GpuProbe } from '../../../rig/src/gpu/gpu-probe.js';
import { vramFreedCheck } from '../../../rig/src/gpu/vram-check.js';
import { OllamaClient } from '../../../rig/src/ollama/ollama-client.js';
import { makeFakeGpus, readFakeGpuState, updateFakeGpuState } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const GPU = 2;
const IDLE_MB = 5;

/** One card of the seed rig: its own Ollama (the stub) and the fake nvidia-smi, wired as a worker would. */
async function card(options: { loadMs?: number; unloadDelayMs?: number; unloadTimeoutMs?: number } = {}) {
  const gpus = await makeFakeGpus();
  cleanups.push(gpus.remove);
  const stub = await startOllamaStub({
    models: [{ name: 'qwen2.5:7b', load_ms: options.loadMs ?? 60, vram_mb: 5200, gpus: [GPU] }],
    nvidia_smi_state: gpus.statePath,
    unload_delay_ms: options.unloadDelayMs ?? 40,
    vram_release_lag_ms: 60,
  });
  cleanups.push(stub.close);
  const events: RigEvent[] = [];
  const usedMb = async () => (await readFakeGpuState(gpus.statePath)).gpus[GPU]?.memory_used_mb;
  const manager = new CardManager({
    gpuId: GPU,
    workerId: 'worker-2',
    ollama: new OllamaClient({ baseUrl: stub.url }),
    runtime: systemRuntime,
    emit: (event) => {
      events.push(EventSchema.parse(event));
    },
    vramFreed: vramFreedCheck(new GpuProbe({ env: gpus.env }), [GPU], 300),
    unloadTimeoutMs: options.unloadTimeoutMs ?? 5_000,
    pollMs: 20,
  });
  const useScriptVram = (deltaMb: number) =>
    updateFakeGpuState(gpus.statePath, (state) => {
      const gpu = state.gpus[GPU];
      if (gpu && typeof gpu.memory_used_mb === 'number') gpu.memory_used_mb += deltaMb;
    });
  return { manager, events, stub, usedMb, useScriptVram };
}

const describeEvent = (event: RigEvent): string =>
  event.event_type === 'gpu_state'
    ? `state:${String(event.detail?.['to'])}`
    : `${event.event_type}:${String(event.detail?.['model'])}`;

describe('CardManager against the Ollama stub and the fake nvidia-smi', () => {
  it('loads the LLM, runs a task, switches to a script and back, with the events in order', async () => {
    const { manager, events, stub, usedMb, useScriptVram } = await card();
    expect(await manager.loadLlm('qwen2.5:7b')).toEqual({ ok: true });
    expect(await usedMb()).toBe(IDLE_MB + 5200);
    const text = await manager.runLlmTask('t1', async () => {
      expect(manager.state).toBe('llm_busy');
      return 'done';
    });
    expect(text).toBe('done');

    expect(await manager.startScript('whisper-small.en', 't2')).toEqual({ ok: true });
    // The switch waited for the fake nvidia-smi to show the VRAM back, not just for Ollama to forget the model.
    expect(await usedMb()).toBe(IDLE_MB);
    const ps = await new OllamaClient({ baseUrl: stub.url }).ps();
    expect(ps.ok && ps.value.models).toEqual([]);
    expect(manager.state).toBe('booting_script');

    await useScriptVram(1200); // the script process loads Whisper
    expect(await manager.scriptLoaded('t2')).toEqual({ ok: true });
    // The process exits; the driver frees its context a moment later.
    const exited = sleep(100).then(() => useScriptVram(-1200));
    expect(await manager.scriptEnded('t2')).toEqual({ ok: true });
    await exited;
    expect(await usedMb()).toBe(IDLE_MB);

    expect(await manager.loadLlm('qwen2.5:7b')).toEqual({ ok: true });
    expect(manager.state).toBe('llm_ready');
    expect(stub.state.models.loads.get('qwen2.5:7b')).toBe(2);

    expect(events.map(describeEvent)).toEqual([
      'state:booting_llm',
      'gpu_allocated:qwen2.5:7b',
      'state:llm_ready',
      'model_loaded:qwen2.5:7b',
      'state:llm_busy',
      'state:llm_ready',
      'state:unloading',
      'state:idle',
      'model_unloaded:qwen2.5:7b',
      'state:booting_script',
      'gpu_allocated:whisper-small.en',
      'state:script_busy',
      'model_loaded:whisper-small.en',
      'state:unloading',
      'state:idle',
      'model_unloaded:whisper-small.en',
      'state:booting_llm',
      'gpu_allocated:qwen2.5:7b',
      'state:llm_ready',
      'model_loaded:qwen2.5:7b',
    ]);
    const durations = (type: string) =>
      events.filter((event) => event.event_type === type).map((event) => event.duration_ms ?? -1);
    expect(durations('model_loaded')[0]).toBeGreaterThanOrEqual(55);
    // ps drops the model after 40 ms and the VRAM follows 60 ms later: the unload took at least that.
    expect(durations('model_unloaded')[0]).toBeGreaterThanOrEqual(95);
    expect(durations('model_unloaded')[1]).toBeGreaterThanOrEqual(95);
    expect(events.every((event) => event.gpu_id === GPU && event.worker_id === 'worker-2')).toBe(true);
    expect(
      events.find((event) => event.event_type === 'gpu_allocated' && event.detail?.['kind'] === 'script')?.task_id,
    ).toBe('t2');
  });

  it('does nothing to load a model that is already ready', async () => {
    const { manager, events } = await card();
    await manager.loadLlm('qwen2.5:7b');
    const before = events.length;
    expect(await manager.loadLlm('qwen2.5:7b')).toEqual({ ok: true });
    expect(events).toHaveLength(before);
  });

  it('runs queued operations in call order, so a switch never cuts into a task', async () => {
    const { manager } = await card();
    await manager.loadLlm('qwen2.5:7b');
    const order: string[] = [];
    const task = manager.runLlmTask('t1', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push(`task ran in ${manager.state}`);
    });
    const freed = manager
      .freeCard('operator')
      .then((result) => order.push(`freed ${String(result.ok)} -> ${manager.state}`));
    await Promise.all([task, freed]);
    expect(order).toEqual(['task ran in llm_busy', 'freed true -> idle']);
  });

  it('puts the card in error with the code when Ollama does not know the model', async () => {
    const { manager, events } = await card();
    expect(await manager.loadLlm('qwen9:70b')).toMatchObject({ ok: false, code: 'model_not_found' });
    expect(manager.state).toBe('error');
    expect(events.at(-1)).toMatchObject({
      event_type: 'gpu_state',
      error: 'model_not_found',
      detail: { from: 'booting_llm', to: 'error' },
    });
    // Recovery goes through an unload and a VRAM check, then the card is usable again.
    expect(await manager.freeCard('recover')).toEqual({ ok: true });
    expect(manager.state).toBe('idle');
  });

  it('puts the card in error with vram_timeout when a script never gives its VRAM back', async () => {
    const { manager, useScriptVram } = await card({ unloadTimeoutMs: 200 });
    await manager.startScript('easyocr', 't3');
    await useScriptVram(1500);
    await manager.scriptLoaded('t3');
    expect(await manager.scriptEnded('t3')).toMatchObject({ ok: false, code: 'vram_timeout' });
    expect(manager.state).toBe('error');
  });

  it('throws for a forbidden move, a caller bug: a script cannot be loaded on a card that booted none', async () => {
    const { manager } = await card();
    await expect(manager.scriptLoaded('t9')).rejects.toMatchObject({
      code: 'forbidden_transition',
      from: 'idle',
      to: 'script_busy',
    });
    expect(await manager.loadLlm('qwen2.5:7b')).toEqual({ ok: true });
  });
});
