import { RefusalThrottle, type SuppressedRefusals } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

function throttle(
  perMinute: number,
  maxAddresses = 100,
): { t: RefusalThrottle; clock: { now: number }; summaries: SuppressedRefusals[] } {
  const clock = { now: 1_000_000 };
  const summaries: SuppressedRefusals[] = [];
  const t = new RefusalThrottle({
    perMinute,
    maxAddresses,
    runtime: { now: () => clock.now },
    onSuppressed: (s) => summaries.push(s),
  });
  return { t, clock, summaries };
}

describe('refusal throttle', () => {
  it('records the first refusals of an address each minute and counts the rest into one summary', () => {
    const { t, clock, summaries } = throttle(3);
    const admitted = Array.from({ length: 10 }, () => t.admit('10.0.0.9'));
    expect(admitted).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(t.admit('10.0.0.7')).toBe(true);
    t.flush();
    expect(summaries).toEqual([]);

    clock.now += 60_000;
    t.flush();
    expect(summaries).toEqual([{ address: '10.0.0.9', count: 7, from: 1_000_000, to: 1_060_000 }]);
    expect(t.tracked).toBe(0);
    expect(t.admit('10.0.0.9')).toBe(true);
  });

  it('summarises a window when its address refuses again after the minute, without waiting for a flush', () => {
    const { t, clock, summaries } = throttle(1);
    t.admit('a');
    t.admit('a');
    clock.now += 61_000;
    expect(t.admit('a')).toBe(true);
    expect(summaries).toEqual([{ address: 'a', count: 1, from: 1_000_000, to: 1_060_000 }]);
  });

  it('keeps at most maxAddresses windows, summarising the oldest to make room', () => {
    const { t, clock, summaries } = throttle(1, 2);
    t.admit('a');
    t.admit('a');
    clock.now += 1;
    t.admit('b');
    clock.now += 1;
    t.admit('c');
    expect(t.tracked).toBe(2);
    expect(summaries).toEqual([{ address: 'a', count: 1, from: 1_000_000, to: 1_000_002 }]);
    t.flush(true);
    expect(t.tracked).toBe(0);
    expect(summaries).toHaveLength(1);
  });
});
