import { describe, expect, it } from 'vitest';
import { swapAwarePolicy } from '../../../rig/src/scheduler/swap-aware-policy.js';
import { card, input, running, task } from './fixtures.js';

// The brain's cards (0 and 3) hold the 14B and are busy, so only worker cards 1, 2 and 4 take part.
const brainBusy = [card(0, ['qwen2.5:14b'], 5000), card(3, ['qwen2.5:14b'], 5000)];
const SEVEN = 'qwen2.5:7b';

describe('swap-aware: an urgent task and a busy card that holds its model', () => {
  it('waits for the card holding the 7B that frees in 30 s rather than load it on a free card (112.5 s)', () => {
    const decisions = swapAwarePolicy(
      input({
        nowS: 100,
        cards: [...brainBusy, card(1, [SEVEN], 130, running('low', 1, 95)), card(2), card(4, ['easyocr'], 5000)],
        ready: [task('urgent', SEVEN, { priority: 9, readyAtS: 100 })],
      }),
    ).decisions;
    expect(decisions.filter((d) => d.kind === 'start' && d.taskId === 'urgent')).toEqual([]);
    expect(decisions.filter((d) => d.kind === 'preempt')).toEqual([]);
  });

  it('still loads on a free card when the card holding the model frees later than that load would end', () => {
    const decisions = swapAwarePolicy(
      input({
        nowS: 100,
        cards: [...brainBusy, card(1, [SEVEN], 400, running('low', 1, 0)), card(2), card(4, ['easyocr'], 5000)],
        ready: [task('urgent', SEVEN, { priority: 9, readyAtS: 100 })],
      }),
    ).decisions;
    expect(decisions).toContainEqual({ kind: 'start', taskId: 'urgent', gpus: [2], unload: [], load: SEVEN });
  });

  it('takes that card when it frees, before older work whose aging outranks it', () => {
    // Priority 3 after 2100 s is worth 3 + 35 points, and past its 1800 s bound: overdue, walked before the urgent
    // task's 9 points when all overdue tasks share one walk.
    const decisions = swapAwarePolicy(
      input({
        nowS: 2100,
        cards: [...brainBusy, card(1, [SEVEN]), card(2, ['easyocr'], 5000), card(4, ['easyocr'], 5000)],
        ready: [
          task('old', SEVEN, { priority: 3, readyAtS: 0, seq: 0 }),
          task('urgent', SEVEN, { priority: 9, readyAtS: 2070, seq: 1 }),
        ],
      }),
    ).decisions;
    expect(decisions[0]).toEqual({ kind: 'start', taskId: 'urgent', gpus: [1], unload: [], load: null });
  });
});

describe('swap-aware: a card joining a model others hold', () => {
  it('loads ahead, without taking a task, when a card holding the model starts it sooner than the load ends', () => {
    const backlog = Array.from({ length: 6 }, (_, i) => task(`q${i}`, SEVEN, { estimateS: 100, seq: i }));
    const decisions = swapAwarePolicy(
      input({
        nowS: 0,
        cards: [...brainBusy, card(1, [SEVEN], 10, running('r', 1, 0)), card(2), card(4)],
        ready: backlog,
      }),
    ).decisions;
    // Idle cards join the 7B (600 s of work on one card); the first task goes to card 1 at 10 s, not to a card
    // that has it at 105 s.
    expect(decisions.length).toBeGreaterThan(0);
    for (const decision of decisions) expect(decision).toMatchObject({ kind: 'prepare', model: SEVEN });
  });
});
