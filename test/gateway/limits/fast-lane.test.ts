import Bottleneck from 'bottleneck';
import { FastLaneLimiter } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('bottleneck fast lane', () => {
  it('starts a job synchronously when it fits and nothing is queued', async () => {
    const lane = new FastLaneLimiter({ maxConcurrent: 2 });
    let started = false;
    const done = lane.schedule(async () => {
      started = true;
      return 'ok';
    });
    expect(started).toBe(true);
    expect(await done).toBe('ok');
    expect(lane.running()).toBe(0);
    await lane.stop();
  });

  it('never runs more than maxConcurrent across both lanes, and queued jobs keep their order', async () => {
    const lane = new FastLaneLimiter({ maxConcurrent: 3 });
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 12 }, () => deferred());
    const jobs = gates.map((gate, index) =>
      lane.schedule(async () => {
        running += 1;
        peak = Math.max(peak, running);
        order.push(index);
        await gate.promise;
        running -= 1;
        return index;
      }),
    );
    // The first three took the fast lane; the rest wait in bottleneck's queue.
    expect(order).toEqual([0, 1, 2]);
    expect(lane.running()).toBe(3);
    expect(lane.waiting()).toBeGreaterThan(0);
    // A new job may not overtake the queue even once a slot frees.
    gates[0]?.resolve();
    const late = lane.schedule(async () => {
      order.push(99);
      return 99;
    });
    for (const gate of gates) gate.resolve();
    expect(await Promise.all([...jobs, late])).toEqual([...gates.map((_, index) => index), 99]);
    expect(peak).toBeLessThanOrEqual(3);
    expect(order.indexOf(99)).toBe(12);
    expect(lane.running()).toBe(0);
    await lane.stop();
  });

  it('spends the reservoir and refuses through bottleneck when it is empty', async () => {
    const lane = new FastLaneLimiter({
      maxConcurrent: 5,
      reservoir: 2,
      highWater: 0,
      strategy: Bottleneck.strategy.OVERFLOW,
    });
    expect(await lane.schedule(async () => 1)).toBe(1);
    expect(await lane.schedule(async () => 2)).toBe(2);
    expect(lane.reservoirNow()).toBe(0);
    await expect(lane.schedule(async () => 3)).rejects.toBeInstanceOf(Bottleneck.BottleneckError);
    await lane.stop();
  });

  it('frees the slot when a job throws, and refuses jobs once stopped', async () => {
    const lane = new FastLaneLimiter({ maxConcurrent: 1 });
    await expect(lane.schedule(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lane.running()).toBe(0);
    expect(await lane.schedule(async () => 'after')).toBe('after');
    await lane.stop();
    await expect(lane.schedule(async () => 'never')).rejects.toBeInstanceOf(Bottleneck.BottleneckError);
  });
});
