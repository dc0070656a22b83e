import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../../rig/src/gpu/gpu-probe.js';
import { GpuPoller } from '../../../rig/src/gpu/gpu-poller.js';
import { ManualRuntime } from '../../helpers/manual-runtime.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GpuPoller', () => {
  it('probes at once, then once per interval after each probe finishes, and stops cleanly', async () => {
    let n = 0;
    const probe = {
      probe: async (): Promise<ProbeResult> => ({ ok: false, at: ++n, code: 'nvidia_smi_missing', message: 'x' }),
    };
    const seen: number[] = [];
    const timers = new ManualRuntime();
    const poller = new GpuPoller({
      probe,
      intervalMs: 2_000,
      runtime: timers,
      onResult: (result) => seen.push(result.ok ? result.value.at : result.at),
    });
    poller.start();
    poller.start();
    await flush();
    expect(seen).toEqual([1]);
    expect(timers.pending.map((entry) => entry.ms)).toEqual([2_000]);
    timers.fire();
    await flush();
    timers.fire();
    await flush();
    expect(seen).toEqual([1, 2, 3]);
    await poller.stop();
    expect(poller.running).toBe(false);
    // Stopping aborts the wait, so nothing is left pending to hold the process open.
    expect(timers.pending).toEqual([]);
    expect(timers.slept).toEqual([2_000, 2_000, 2_000]);
  });

  it('emits nothing after stop resolves, even with a probe in flight', async () => {
    let release: (result: ProbeResult) => void = () => undefined;
    const probe = { probe: () => new Promise<ProbeResult>((resolve) => (release = resolve)) };
    const seen: ProbeResult[] = [];
    const timers = new ManualRuntime();
    const poller = new GpuPoller({
      probe,
      intervalMs: 1_000,
      runtime: timers,
      onResult: (result) => seen.push(result),
    });
    poller.start();
    const stopped = poller.stop();
    release({ ok: false, at: 1, code: 'nvidia_smi_timeout', message: 'slow' });
    await stopped;
    expect(seen).toEqual([]);
    expect(timers.pending).toEqual([]);
  });

  it('hands a throwing listener to onError and keeps polling', async () => {
    const errors: unknown[] = [];
    const timers = new ManualRuntime();
    const probe = {
      probe: async (): Promise<ProbeResult> => ({ ok: false, at: 0, code: 'nvidia_smi_missing', message: 'x' }),
    };
    const poller = new GpuPoller({
      probe,
      intervalMs: 10,
      runtime: timers,
      onResult: () => {
        throw new Error('listener bug');
      },
      onError: (error) => errors.push(error),
    });
    poller.start();
    await flush();
    expect(errors).toEqual([new Error('listener bug')]);
    expect(timers.pending).toHaveLength(1);
    await poller.stop();
  });

  it('refuses a non-positive interval', () => {
    const probe = {
      probe: async (): Promise<ProbeResult> => ({ ok: false, at: 0, code: 'nvidia_smi_missing', message: 'x' }),
    };
    expect(() => new GpuPoller({ probe, intervalMs: 0, onResult: () => undefined })).toThrow(RangeError);
  });
});
