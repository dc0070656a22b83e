import { describe, expect, it } from 'vitest';
import { naivePolicy } from '../../../rig/src/scheduler/naive-policy.js';
import type { CardView } from '../../../rig/src/scheduler/types.js';
import { card, input, running, task } from './fixtures.js';

// Naive never lends the brain's cards, but it can be handed cards swap-aware lent: by the guard, which switches
// policies mid-run, or by a brain restarted with `--policy naive`. Found by the guard: naive started a brain task on
// cards 0 and 3 because each held the 14B, though each held half of a different worker instance.
const half = (gpu: number, group: number[], until: number | null = null): CardView => ({
  ...card(gpu, ['qwen2.5:14b'], until, until === null ? null : running(`w${gpu}`, gpu, 0, 5, 'qwen2.5:14b')),
  groups: { 'qwen2.5:14b': group },
});
const brainTask = task('think', 'qwen2.5:14b', { executor: 'brain', taskClass: 'llm' });

describe('naive: brain cards holding halves of worker instances', () => {
  it('reloads the brain model on its own cards, freeing the partners, rather than run on two halves', () => {
    const cards = [half(0, [0, 1]), half(1, [0, 1]), card(2), half(3, [3, 4]), half(4, [3, 4])];
    expect(naivePolicy(input({ cards, ready: [brainTask] })).decisions).toEqual([
      { kind: 'start', taskId: 'think', gpus: [0, 3], unload: [0, 1, 3, 4], load: 'qwen2.5:14b' },
    ]);
  });

  it('waits while a partner card is still running, as a worker task would', () => {
    const cards = [half(0, [0, 1]), half(1, [0, 1], 300), card(2), half(3, [3, 4]), half(4, [3, 4])];
    expect(naivePolicy(input({ cards, ready: [brainTask] })).decisions).toEqual([]);
  });

  it('runs at once on the brain instance it finds in place', () => {
    const cards = [half(0, [0, 3]), card(1), card(2), half(3, [0, 3]), card(4)];
    expect(naivePolicy(input({ cards, ready: [brainTask] })).decisions).toEqual([
      { kind: 'start', taskId: 'think', gpus: [0, 3], unload: [], load: null },
    ]);
  });
});
