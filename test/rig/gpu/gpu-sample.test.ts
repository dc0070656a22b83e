import { describe, expect, it } from 'vitest';
import { GpuSampleSchema, parseSampleLine, parseSampleOutput } from '../../../rig/src/gpu/gpu-sample.js';

const NORMAL = '1, GPU-6a1b, NVIDIA GeForce GTX 1060 6GB, 5213, 6144, 97, 77, 118.42, 140.00, 0x0000000000000004';

describe('parseSampleLine', () => {
  it('parses a normal line into a sample with units stripped into field names', () => {
    const parsed = parseSampleLine(NORMAL, 1);
    expect(parsed).toEqual({
      ok: true,
      value: {
        index: 1,
        uuid: 'GPU-6a1b',
        name: 'NVIDIA GeForce GTX 1060 6GB',
        memory_used_mb: 5213,
        memory_total_mb: 6144,
        utilization_pct: 97,
        temperature_c: 77,
        power_draw_w: 118.42,
        power_limit_w: 140,
        throttle_reasons: ['sw_power_cap'],
        throttle_unknown_bits: null,
      },
    });
    if (parsed.ok) expect(GpuSampleSchema.parse(parsed.value)).toEqual(parsed.value);
  });

  it('turns [N/A], [Not Supported], empty and bare N/A into null', () => {
    const parsed = parseSampleLine('0, [N/A], , [N/A], 6144, [Not Supported], 40, N/A, [Not Supported], [N/A]', 1);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      index: 0,
      uuid: null,
      name: null,
      memory_used_mb: null,
      memory_total_mb: 6144,
      utilization_pct: null,
      temperature_c: 40,
      power_draw_w: null,
      power_limit_w: null,
      throttle_reasons: null,
    });
  });

  it('treats missing trailing columns as null, like an older query without them', () => {
    const parsed = parseSampleLine('2, GPU-x, GTX 1060, 100, 6144', 1);
    expect(parsed.ok && parsed.value).toMatchObject({
      index: 2,
      memory_used_mb: 100,
      temperature_c: null,
      throttle_reasons: null,
    });
  });

  it.each([
    ['garbage', 'this is not a csv line', /index column/],
    ['a non-numeric memory', '0, GPU-x, GTX, lots, 6144, 0, 40, 4, 140, 0x1', /memory\.used is "lots"/],
    ['a bad mask', '0, GPU-x, GTX, 5, 6144, 0, 40, 4, 140, Active', /not a hex bitmask/],
    ['too many columns', `${NORMAL}, 1`, /11 columns where 10/],
    ['a negative utilization', '0, GPU-x, GTX, 5, 6144, -3, 40, 4, 140, 0x1', /utilization_pct/],
    ['an empty index', ', GPU-x, GTX, 5, 6144, 0, 40, 4, 140, 0x1', /index column/],
  ])('reports %s as an issue naming the line', (_label, text, message) => {
    const parsed = parseSampleLine(text, 7);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.line).toBe(7);
    expect(parsed.text).toBe(text);
    expect(parsed.message).toMatch(message);
  });
});

describe('parseSampleOutput', () => {
  it('keeps good cards when one line is bad, and skips blank lines', () => {
    const out = `${NORMAL}\n\nNo devices were found garbage\n${NORMAL.replace(/^1,/, '3,')}\n`;
    const { samples, issues } = parseSampleOutput(out);
    expect(samples.map((sample) => sample.index)).toEqual([1, 3]);
    expect(issues).toEqual([
      { line: 3, text: 'No devices were found garbage', message: expect.stringMatching(/index column/) },
    ]);
  });

  it('accepts CRLF line ends', () => {
    expect(parseSampleOutput(`${NORMAL}\r\n${NORMAL}\r\n`).samples).toHaveLength(2);
  });
});
