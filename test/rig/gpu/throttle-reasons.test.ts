import { describe, expect, it } from 'vitest';
import { decodeThrottleReasons, THROTTLE_REASONS } from '../../../rig/src/gpu/throttle-reasons.js';

describe('decodeThrottleReasons', () => {
  it('decodes every documented bit to its name', () => {
    const expected: Record<string, string> = {
      '0x1': 'gpu_idle',
      '0x2': 'applications_clocks_setting',
      '0x4': 'sw_power_cap',
      '0x8': 'hw_slowdown',
      '0x10': 'sync_boost',
      '0x20': 'sw_thermal_slowdown',
      '0x40': 'hw_thermal_slowdown',
      '0x80': 'hw_power_brake_slowdown',
      '0x100': 'display_clock_setting',
    };
    for (const [hex, name] of Object.entries(expected)) {
      expect(decodeThrottleReasons(hex)).toEqual({ ok: true, value: { reasons: [name], unknownBits: null } });
    }
    expect(Object.values(expected)).toEqual([...THROTTLE_REASONS]);
  });

  it('decodes nvidia-smi padded masks with several bits, in bit order', () => {
    expect(decodeThrottleReasons('0x0000000000000064')).toEqual({
      ok: true,
      value: { reasons: ['sw_power_cap', 'sw_thermal_slowdown', 'hw_thermal_slowdown'], unknownBits: null },
    });
    expect(decodeThrottleReasons('0x0000000000000000')).toEqual({
      ok: true,
      value: { reasons: [], unknownBits: null },
    });
  });

  it('keeps bits it has no name for, including the top of 64 bits', () => {
    expect(decodeThrottleReasons('0x8000000000000204')).toEqual({
      ok: true,
      value: { reasons: ['sw_power_cap'], unknownBits: '0x8000000000000200' },
    });
  });

  it('refuses text that is not a hex mask', () => {
    expect(decodeThrottleReasons('Active')).toMatchObject({ ok: false, code: 'not_a_bitmask', text: 'Active' });
    expect(decodeThrottleReasons('0x')).toMatchObject({ ok: false, code: 'not_a_bitmask', text: '0x' });
    expect(decodeThrottleReasons('0x00000000000000001')).toMatchObject({
      ok: false,
      code: 'not_a_bitmask',
      text: '0x00000000000000001',
    });
  });
});
