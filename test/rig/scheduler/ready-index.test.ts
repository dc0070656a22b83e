import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveReady } from '../../../rig/src/brain/live-ready.js';
import { ReadyQueue } from '../../../rig/src/brain/ready-queue.js';
import { pendingOrder, PlanState } from '../../../rig/src/scheduler/plan-state.js';
import { ReadyIndex } from '../../../rig/src/scheduler/ready-index.js';
import type { SchedTask } from '../../../rig/src/scheduler/types.js';
import { card, input, task } from './fixtures.js';

const MODELS = [null, 'qwen2.5:7b', 'easyocr'] as const;

/** A random history of tasks becoming ready (at non-decreasing times, some re-queued with an old age) and leaving. */
const historyArb = fc.array(
  fc.record({
    add: fc.boolean(),
    id: fc.integer({ min: 0, max: 40 }),
    model: fc.constantFrom(...MODELS),
    priority: fc.integer({ min: 1, max: 10 }),
    age: fc.integer({ min: 0, max: 3 }),
    tailS: fc.constantFrom(0, 0, 30, 120),
    estimateS: fc.integer({ min: 1, max: 200 }),
  }),
  { maxLength: 120 },
);

type Step = (typeof historyArb extends fc.Arbitrary<infer T> ? T : never)[number];

function replay(history: readonly Step[]) {
  const index = new ReadyIndex();
  const plain = new Map<string, SchedTask>();
  let now = 0;
  for (const [i, step] of history.entries()) {
    now += 5;
    const id = `t${step.id}`;
    if (step.add) {
      const added = task(id, step.model, {
        priority: step.priority,
        readyAtS: Math.max(0, now - step.age * 60),
        seq: step.id,
        tailS: step.tailS,
        estimateS: step.estimateS,
      });
      index.add(added);
      plain.set(id, added);
    } else {
      index.remove(id);
      plain.delete(id);
    }
    if (i % 7 === 0) {
      // Now and then a task leaves that may never have come (a canceled one): ignored.
      index.remove(`t${(step.id * 7) % 41}`);
      plain.delete(`t${(step.id * 7) % 41}`);
    }
  }
  return { index, plain, now };
}

describe('ReadyIndex: the ready tasks kept in step instead of sorted at every decision', () => {
  it('walks the ready tasks in the order a full sort gives, and sums them exactly back to zero', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const { index, plain, now } = replay(history);
        const state = new PlanState(input({ nowS: now, cards: [card(1)], ready: index }));
        const walk = state.walk(state.workerBooks());
        const walked: string[] = [];
        for (let t = walk.next(); t !== undefined; t = walk.next()) walked.push(t.id);
        const sorted = [...plain.values()].sort(pendingOrder(now, 60)).map((t) => t.id);
        expect(walked).toEqual(sorted);
        for (const book of state.workerBooks()) {
          const mine = [...plain.values()].filter((t) => t.model === book.model);
          expect(book.count).toBe(mine.length);
          expect(state.maxTail(book)).toBe(Math.max(0, ...mine.map((t) => t.tailS)));
          expect(state.work(book)).toBeCloseTo(
            mine.reduce((sum, t) => sum + t.estimateS, 0),
            9,
          );
        }
        index.clear();
        for (const book of state.workerBooks())
          expect([book.count, state.weighted(book), state.work(book)]).toEqual([0, 0, 0]);
      }),
      { numRuns: 300, seed: 18 },
    );
  });

  it('follows the live queue through a restart (cleared, then refilled from the store) and a new brain model', () => {
    const queue = new ReadyQueue(60_000);
    const entry = (id: string, executor: 'worker' | 'brain', seq: number) => ({
      task_id: id,
      task_class: 'llm' as const,
      executor,
      priority: 5,
      queued_at: seq * 1000,
      seq,
      model: null,
      estimate_s: 20,
    });
    queue.add(entry('before', 'worker', 1));
    const live = new LiveReady(queue, { seconds: (ms) => ms / 1000, modelOf: () => 'qwen2.5:7b', noted: () => {} });
    expect([...live.forBrain(null).tasks()].map((t) => t.id)).toEqual(['before']);
    queue.add(entry('think', 'brain', 2));
    expect(live.index.get('think')).toBeUndefined();
    expect(live.forBrain('qwen2.5:14b').get('think')?.model).toBe('qwen2.5:14b');
    // What reloadMemory does after a rolled-back transaction, and a restarted brain at start: clear, then re-queue.
    queue.clear();
    expect(live.index.size).toBe(0);
    queue.add(entry('before', 'worker', 1));
    queue.add(entry('think', 'brain', 2));
    expect([...live.index.tasks()].map((t) => t.id).sort()).toEqual(['before', 'think']);
    queue.remove('before');
    expect(live.index.get('before')).toBeUndefined();
  });
});
