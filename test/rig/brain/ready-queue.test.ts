import { describe, expect, it } from 'vitest';
import { effectivePriority, ReadyQueue, type ReadyEntry } from '../../../rig/src/brain/ready-queue.js';

const MINUTE = 60_000;
const entry = (
  task_id: string,
  task_class: ReadyEntry['task_class'],
  priority: number,
  queued_at: number,
  seq = 0,
): ReadyEntry => ({
  task_id,
  task_class,
  executor: 'worker',
  priority,
  queued_at,
  seq,
});
const worker = { classes: ['cpu', 'script', 'llm'] as const, prefer: 'script' as const, executor: 'worker' as const };

describe('ReadyQueue: the seed order with aging', () => {
  it('offers resource tasks first, then the preferred class, then the others by priority', () => {
    const queue = new ReadyQueue(MINUTE);
    queue.add(entry('cpu9', 'cpu', 9, 0));
    queue.add(entry('llm8', 'llm', 8, 0));
    queue.add(entry('script2', 'script', 2, 0));
    expect(queue.pick({ ...worker, classes: ['cpu', 'script', 'llm'] }, 0)?.task_id).toBe('script2');
    queue.remove('script2');
    expect(queue.pick({ ...worker, classes: ['cpu', 'script', 'llm'] }, 0)?.task_id).toBe('cpu9');
    queue.add(entry('load', 'resource', 10, 0));
    expect(queue.pick({ ...worker, classes: ['cpu', 'script', 'llm', 'resource'] }, 0)?.task_id).toBe('load');
  });

  it('never offers a class the worker does not serve, nor another executor', () => {
    const queue = new ReadyQueue(MINUTE);
    queue.add(entry('gpu', 'script', 10, 0));
    queue.add({ ...entry('brain', 'cpu', 10, 0), executor: 'brain' });
    expect(queue.pick({ classes: ['cpu'], executor: 'worker' }, 0)).toBeUndefined();
    expect(queue.pick({ classes: ['cpu'], executor: 'brain' }, 0)?.task_id).toBe('brain');
  });

  it('keeps FIFO order within a priority, and ages a waiting low-priority task past newer urgent ones', () => {
    const queue = new ReadyQueue(MINUTE);
    queue.add(entry('old1', 'cpu', 1, 0));
    queue.add(entry('old1b', 'cpu', 1, 10));
    const now = 10 * MINUTE;
    queue.add(entry('new10', 'cpu', 10, now - 1_000));
    // After 10 minutes at 1 point a minute, old1 is at 11 > 10.
    expect(effectivePriority(entry('old1', 'cpu', 1, 0), now, MINUTE)).toBeCloseTo(11);
    expect(queue.pick({ classes: ['cpu'], executor: 'worker' }, now)?.task_id).toBe('old1');
    // Earlier, the urgent one wins.
    expect(queue.pick({ classes: ['cpu'], executor: 'worker' }, 5 * MINUTE)?.task_id).toBe('new10');
    queue.remove('old1');
    expect(queue.pick({ classes: ['cpu'], executor: 'worker' }, 20 * MINUTE)?.task_id).toBe('old1b');
  });

  it('handles many tasks with lazy removal', () => {
    const queue = new ReadyQueue(MINUTE);
    for (let i = 0; i < 10_000; i += 1) queue.add(entry(`t${i}`, 'cpu', (i % 10) + 1, i, i));
    let taken = 0;
    let last = Infinity;
    for (;;) {
      const next = queue.pick({ classes: ['cpu'], executor: 'worker' }, 10_000);
      if (next === undefined) break;
      const score = effectivePriority(next, 10_000, MINUTE);
      expect(score).toBeLessThanOrEqual(last + 1e-9);
      last = score;
      queue.remove(next.task_id);
      taken += 1;
    }
    expect(taken).toBe(10_000);
    expect(queue.size).toBe(0);
  });
});
