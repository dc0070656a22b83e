import { describe, expect, it } from 'vitest';
import { swapAwarePolicy } from '../../../rig/src/scheduler/swap-aware-policy.js';
import { card, input, task } from './fixtures.js';

// Found on random plans (swap-aware 3.3x slower than naive): small work nobody serves waited until overdue.
const brainBusy = [card(0, ['qwen2.5:14b'], 5000), card(3, ['qwen2.5:14b'], 5000)];
const idleSeven = [1, 2, 4].map((gpu) => card(gpu, ['qwen2.5:7b']));

describe('swap-aware: small work on a model nobody holds, with idle cards', () => {
  it('starts a 0 s transcription that holds back 197 s of work on an idle card at once', () => {
    const decisions = swapAwarePolicy(
      input({
        nowS: 10,
        cards: [...brainBusy, ...idleSeven],
        ready: [task('zero', 'whisper-small.en', { priority: 4, readyAtS: 0, estimateS: 0, tailS: 197 })],
      }),
    ).decisions;
    expect(decisions).toContainEqual(expect.objectContaining({ kind: 'start', taskId: 'zero' }));
  });

  it('starts a 6 s low-priority task on an idle card, though its switch (11.5 s) outweighs it', () => {
    const decisions = swapAwarePolicy(
      input({
        nowS: 500,
        cards: [...brainBusy, ...idleSeven],
        ready: [task('small', 'whisper-small.en', { priority: 1, readyAtS: 150, estimateS: 6 })],
      }),
    ).decisions;
    expect(decisions).toContainEqual(expect.objectContaining({ kind: 'start', taskId: 'small' }));
  });
});
