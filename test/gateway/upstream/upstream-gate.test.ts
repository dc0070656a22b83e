import { UpstreamGate, isThrottled, parseRetryAfterMs, retryLoop } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('upstream gate', () => {
  it('waits out retry-after and an exhausted request window, and refuses waits beyond its limit', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const gate = new UpstreamGate(2, 5_000, {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    gate.observe(headers({ 'retry-after': '2' }));
    expect(await gate.run(10, async () => 'done')).toBe('done');
    expect(slept).toEqual([2_000]);

    gate.observe(
      headers({
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': new Date(now + 60_000).toISOString(),
      }),
    );
    const throttled = await gate.run(10, async () => 'never');
    expect(isThrottled(throttled)).toBe(true);
    await gate.stop();
  });

  it('holds a call bigger than the remaining token window until it resets', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const gate = new UpstreamGate(1, 10_000, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    gate.observe(
      headers({
        'anthropic-ratelimit-tokens-remaining': '500',
        'anthropic-ratelimit-tokens-reset': new Date(now + 3_000).toISOString(),
      }),
    );
    expect(gate.waitFor(100)).toBe(0);
    expect(gate.waitFor(1_000)).toBe(3_000);
    await gate.stop();
  });

  it('parses retry-after as seconds, milliseconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs(headers({ 'retry-after': '1.5' }), now)).toBe(1_500);
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(parseRetryAfterMs(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10_000);
    expect(parseRetryAfterMs(headers({}), now)).toBeUndefined();
  });
});

describe('retry loop', () => {
  it('stops at the attempt limit, on a non-retryable failure, and on a retry-after beyond its limit', async () => {
    const io = { sleep: async () => undefined, random: () => 0.5 };
    const policy = { attempts: 3, baseMs: 10, capMs: 100, maxRetryAfterMs: 1_000 };
    let calls = 0;
    const exhausted = await retryLoop(policy, io, async () => ({
      done: false,
      retryable: true,
      retryAfterMs: undefined,
      failure: ++calls,
    }));
    expect(exhausted).toEqual({
      ok: false,
      code: 'attempts_exhausted',
      message: 'all 3 tries failed',
      failure: 3,
      retryable: true,
      tries: 3,
    });
    const fatal = await retryLoop(policy, io, async () => ({
      done: false,
      retryable: false,
      retryAfterMs: undefined,
      failure: 'billing',
    }));
    expect(fatal).toMatchObject({ ok: false, code: 'not_retryable', retryable: false, tries: 1 });
    const tooLong = await retryLoop(policy, io, async () => ({
      done: false,
      retryable: true,
      retryAfterMs: 5_000,
      failure: 'later',
    }));
    expect(tooLong).toMatchObject({ ok: false, code: 'wait_too_long', retryable: true, tries: 1 });
  });
});
