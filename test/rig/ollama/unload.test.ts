import { afterEach, describe, expect, it } from 'vitest';
import { GpuProbe } from '../../../rig/src/gpu/gpu-probe.js';
import { vramFreedCheck } from '../../../rig/src/gpu/vram-check.js';
import { OllamaClient } from '../../../rig/src/ollama/ollama-client.js';
import { sameModel, unloadModel } from '../../../rig/src/ollama/unload.js';
import { makeFakeGpus, readFakeGpuState } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import type { StubOptionsInput } from '../../fixtures/ollama-stub/stub-options.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function rig(stubOptions: Partial<StubOptionsInput> = {}) {
  const gpus = await makeFakeGpus();
  cleanups.push(gpus.remove);
  const stub = await startOllamaStub({
    models: [{ name: 'qwen2.5:7b', load_ms: 40, vram_mb: 5200, gpus: [1] }],
    nvidia_smi_state: gpus.statePath,
    ...stubOptions,
  });
  cleanups.push(stub.close);
  const probe = new GpuProbe({ env: gpus.env });
  const usedOn1 = async () => (await readFakeGpuState(gpus.statePath)).gpus[1]?.memory_used_mb;
  return { gpus, stub, probe, usedOn1, client: new OllamaClient({ baseUrl: stub.url }) };
}

describe('OllamaClient.unload against the stub and the fake nvidia-smi', () => {
  it('sends keep_alive 0 and waits until /api/ps drops the model and the probe sees the VRAM freed', async () => {
    const { client, stub, probe, usedOn1 } = await rig({ unload_delay_ms: 150, vram_release_lag_ms: 250 });
    expect(await client.load('qwen2.5:7b', '5m')).toMatchObject({ ok: true });
    expect(await usedOn1()).toBe(5 + 5200);
    const result = await client.unload('qwen2.5:7b', {
      timeoutMs: 5_000,
      pollMs: 25,
      vramFreed: vramFreedCheck(probe, [1], 300),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // Not done when Ollama stopped listing it (150 ms) but when the VRAM was back too (150 + 250 ms).
    expect(result.value.waitedMs).toBeGreaterThanOrEqual(380);
    expect(result.value.polls).toBeGreaterThan(2);
    expect(await usedOn1()).toBe(5);
    const ps = await client.ps();
    expect(ps.ok && ps.value.models).toEqual([]);
    expect(
      stub.state.requests.find((request) => request.body && (request.body as { keep_alive?: unknown }).keep_alive === 0)
        ?.body,
    ).toEqual({
      model: 'qwen2.5:7b',
      keep_alive: 0,
      stream: false,
    });
  });

  it('gives unload_timeout pending vram when the VRAM never comes back', async () => {
    const { client } = await rig({ unload_delay_ms: 10 });
    await client.load('qwen2.5:7b', -1);
    const result = await client.unload('qwen2.5:7b', { timeoutMs: 200, pollMs: 20, vramFreed: async () => false });
    expect(result).toMatchObject({ ok: false, code: 'unload_timeout', pending: 'vram' });
  });

  it('gives unload_timeout pending ps when Ollama keeps listing the model', async () => {
    const { client } = await rig({ unload_delay_ms: 5_000 });
    await client.load('qwen2.5:7b', -1);
    const result = await client.unload('qwen2.5:7b', { timeoutMs: 150, pollMs: 20 });
    expect(result).toMatchObject({
      ok: false,
      code: 'unload_timeout',
      pending: 'ps',
      message: expect.stringContaining('still listed by /api/ps'),
    });
  });

  it('passes a missing model through as model_not_found', async () => {
    const { client } = await rig();
    expect(await client.unload('nope:1b', { timeoutMs: 100, pollMs: 10 })).toMatchObject({
      ok: false,
      code: 'model_not_found',
    });
  });
});

describe('unloadModel on a manual clock', () => {
  it('polls every pollMs, last at the deadline, never sleeping past it', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const result = await unloadModel(
      {
        requestUnload: async () => ({ ok: true, value: {} }),
        ps: async () => ({
          ok: true,
          value: {
            models: [{ name: 'qwen2.5:7b', model: 'qwen2.5:7b', size: 1, size_vram: 1, digest: 'x', expires_at: '' }],
          },
        }),
        runtime: { now: () => now, sleep: async (ms) => void sleeps.push((now += ms)) },
      },
      'qwen2.5:7b',
      { timeoutMs: 1_000, pollMs: 300 },
    );
    expect(sleeps).toEqual([300, 600, 900, 1_000]);
    expect(result).toMatchObject({ ok: false, code: 'unload_timeout', pending: 'ps' });
  });

  it('matches untagged names to :latest as Ollama does', () => {
    expect(sameModel('llama3', 'llama3:latest')).toBe(true);
    expect(sameModel('qwen2.5:7b', 'qwen2.5:14b')).toBe(false);
  });
});
