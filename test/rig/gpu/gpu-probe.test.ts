import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LEGACY_REASONS_FIELD, REASONS_FIELD } from '../../../rig/src/gpu/gpu-sample.js';
import { GpuProbe, probeArgs } from '../../../rig/src/gpu/gpu-probe.js';
import type { ProcessRunner } from '../../../rig/src/gpu/process-runner.js';
import {
  makeFakeGpus,
  seedRigState,
  updateFakeGpuState,
  type FakeGpuState,
} from '../../fixtures/nvidia-smi/fake-gpus.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function fake(state: FakeGpuState = seedRigState()) {
  const gpus = await makeFakeGpus(state);
  cleanups.push(gpus.remove);
  return { ...gpus, probe: new GpuProbe({ env: gpus.env, runtime: { now: () => 1234 } }) };
}

describe('GpuProbe against the fake nvidia-smi (a real process)', () => {
  it('asks for exactly the seed columns plus the throttle mask, csv without header or units', () => {
    expect(probeArgs(REASONS_FIELD)).toEqual([
      '--query-gpu=index,uuid,name,memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw,power.limit,' +
        'clocks_event_reasons.active',
      '--format=csv,noheader,nounits',
    ]);
  });

  it('reads all five cards of the seed rig', async () => {
    const { probe } = await fake();
    const result = await probe.probe();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.at).toBe(1234);
    expect(result.value.issues).toEqual([]);
    expect(result.value.reasonsField).toBe(REASONS_FIELD);
    expect(result.value.samples.map((sample) => sample.index)).toEqual([0, 1, 2, 3, 4]);
    expect(result.value.samples[0]).toMatchObject({
      memory_total_mb: 6144,
      power_limit_w: 140,
      power_draw_w: 4.5,
      throttle_reasons: ['gpu_idle'],
    });
  });

  it('falls back to clocks_throttle_reasons.active on a driver refusing the new name, and remembers', async () => {
    const { probe } = await fake({ ...seedRigState(), old_driver: true });
    const first = await probe.probe();
    expect(first.ok && first.value.reasonsField).toBe(LEGACY_REASONS_FIELD);
    expect(first.ok && first.value.samples).toHaveLength(5);
    expect(probe.reasonsField).toBe(LEGACY_REASONS_FIELD);
    const second = await probe.probe();
    expect(second.ok && second.value.reasonsField).toBe(LEGACY_REASONS_FIELD);
  });

  it('sees state changes between probes, [N/A] as null and garbage lines as issues', async () => {
    const { probe, statePath } = await fake();
    await updateFakeGpuState(statePath, (state) => {
      const [card0, card1] = state.gpus;
      if (!card0 || !card1) throw new Error('seed state has five cards');
      card0.memory_used_mb = 5200;
      card0.power_draw_w = '[N/A]';
      card0.throttle_reasons = 0x24;
      card1.temperature_c = 'hot' as never;
    });
    const result = await probe.probe();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.samples.map((sample) => sample.index)).toEqual([0, 2, 3, 4]);
    expect(result.value.samples[0]).toMatchObject({
      memory_used_mb: 5200,
      power_draw_w: null,
      throttle_reasons: ['sw_power_cap', 'sw_thermal_slowdown'],
    });
    expect(result.value.issues).toEqual([
      { line: 2, text: expect.stringMatching(/^1, /), message: 'temperature.gpu is "hot", not a number' },
    ]);
  });

  it('reports a driver failure as nvidia_smi_failed with the driver text', async () => {
    const { probe } = await fake({
      gpus: [],
      fail: { message: 'Unable to determine the device handle for GPU0000:03:00.0: Unknown Error\n', exit_code: 15 },
    });
    const result = await probe.probe();
    expect(result).toEqual({
      ok: false,
      at: 1234,
      code: 'nvidia_smi_failed',
      message: 'nvidia-smi exited 15: Unable to determine the device handle for GPU0000:03:00.0: Unknown Error',
    });
  });

  it('reports a hung nvidia-smi as nvidia_smi_timeout', async () => {
    const gpus = await makeFakeGpus({ ...seedRigState(), delay_ms: 5_000 });
    cleanups.push(gpus.remove);
    const result = await new GpuProbe({ env: gpus.env, timeoutMs: 300 }).probe();
    expect(result.ok === false && result.code).toBe('nvidia_smi_timeout');
  });

  it('reports no nvidia-smi on PATH as nvidia_smi_missing, so the worker serves cpu work only', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rigmind-no-smi-'));
    cleanups.push(() => rm(empty, { recursive: true, force: true }));
    const result = await new GpuProbe({ env: { PATH: empty } }).probe();
    expect(result.ok === false && result.code).toBe('nvidia_smi_missing');
  });

  it('does not retry forever when the legacy name is refused too', async () => {
    const calls: string[] = [];
    const runner: ProcessRunner = async (_file, args) => {
      calls.push(args[0] ?? '');
      const field = /,(clocks_[a-z_]+\.active)$/.exec(args[0] ?? '')?.[1] ?? '?';
      return { kind: 'exited', exitCode: 2, stdout: `Field "${field}" is not a valid field to query.\n\n`, stderr: '' };
    };
    const result = await new GpuProbe({ runner }).probe();
    expect(calls).toHaveLength(2);
    expect(result).toMatchObject({
      ok: false,
      code: 'nvidia_smi_failed',
      message: expect.stringContaining('clocks_throttle_reasons.active'),
    });
  });
});
