import { describe, expect, it } from 'vitest';
import { naivePolicy } from '../../../rig/src/scheduler/naive-policy.js';
import { swapAwarePolicy } from '../../../rig/src/scheduler/swap-aware-policy.js';
import { card, input, running, task, upcoming } from './fixtures.js';

const busy = (gpu: number, until: number, models: string[] = ['qwen2.5:7b']) =>
  card(gpu, models, until, running(`r${gpu}`, gpu, 0));

describe('swap-aware: batching', () => {
  it('keeps a warm card on its model where naive swaps to the higher-priority task', () => {
    const state = input({
      cards: [
        busy(0, 500, ['qwen2.5:14b']),
        card(1, ['qwen2.5:7b']),
        busy(2, 500, ['qwen2.5-vl:7b']),
        busy(3, 500, ['qwen2.5:14b']),
        busy(4, 500, ['qwen2.5-vl:7b']),
      ],
      ready: [task('whisper', 'whisper-small.en', { priority: 6, seq: 0 }), task('seg', 'qwen2.5:7b', { seq: 1 })],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'seg', gpus: [1], unload: [], load: null },
    ]);
    expect(naivePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'whisper', gpus: [1], unload: [1], load: 'whisper-small.en' },
    ]);
  });

  it('runs several tasks of one model back to back on the card holding it', () => {
    const state = input({
      cards: [
        busy(0, 500, ['qwen2.5:14b']),
        card(1, ['whisper-small.en']),
        busy(2, 500),
        busy(3, 500, ['qwen2.5:14b']),
        busy(4, 500),
      ],
      ready: [task('a', 'whisper-small.en'), task('b', 'whisper-small.en', { seq: 1 })],
    });
    const decisions = swapAwarePolicy(state).decisions;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ kind: 'start', gpus: [1], load: null, unload: [] });
  });
});

describe('swap-aware: co-residency', () => {
  it('loads an embedding model beside whisper instead of unloading it', () => {
    const state = input({
      cards: [
        busy(0, 500, ['qwen2.5:14b']),
        card(1, ['whisper-small.en']),
        busy(2, 500),
        busy(3, 500, ['qwen2.5:14b']),
        busy(4, 500),
      ],
      ready: [task('embed', 'all-mpnet-base-v2')],
      upcoming: [upcoming('next-transcribe', 'whisper-small.en', 60)],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'embed', gpus: [1], unload: [], load: 'all-mpnet-base-v2' },
    ]);
  });

  it('never loads an LLM beside another model: the card is freed first', () => {
    const state = input({
      cards: [
        busy(0, 900, ['qwen2.5:14b']),
        card(1, ['all-mpnet-base-v2']),
        busy(2, 900),
        busy(3, 900, ['qwen2.5:14b']),
        busy(4, 900),
      ],
      ready: [task('describe', 'qwen2.5-vl:7b', { estimateS: 400 })],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'describe', gpus: [1], unload: [1], load: 'qwen2.5-vl:7b' },
    ]);
  });
});

describe('swap-aware: preemption', () => {
  const allBusy = (startedAtS: number, until: number) =>
    [0, 1, 2, 3, 4].map((gpu) =>
      card(gpu, ['qwen2.5:7b'], until, running(`low${gpu}`, gpu, startedAtS, gpu === 1 ? 3 : 5)),
    );

  it('stops the lowest-cost low-priority task for an urgent one when waiting costs more than redoing it', () => {
    const state = input({
      nowS: 100,
      cards: allBusy(95, 700),
      ready: [task('urgent', 'qwen2.5:7b', { priority: 9, readyAtS: 100 })],
    });
    const decisions = swapAwarePolicy(state).decisions;
    expect(decisions[0]).toMatchObject({ kind: 'preempt' });
    expect(decisions[1]).toMatchObject({ kind: 'start', taskId: 'urgent', unload: [], load: null });
  });

  it('does not preempt when a card frees sooner than the work it would throw away', () => {
    const state = input({
      nowS: 100,
      cards: allBusy(0, 130),
      ready: [task('urgent', 'qwen2.5:7b', { priority: 9, readyAtS: 100 })],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([]);
  });

  it('does not preempt for a task that is not urgent, nor an urgent task', () => {
    const normal = input({
      nowS: 100,
      cards: allBusy(95, 700),
      ready: [task('eager', 'qwen2.5:7b', { priority: 8, readyAtS: 100 })],
    });
    expect(swapAwarePolicy(normal).decisions).toEqual([]);
    const urgentVictims = [0, 1, 2, 3, 4].map((gpu) => card(gpu, ['qwen2.5:7b'], 700, running(`u${gpu}`, gpu, 95, 9)));
    const blocked = input({
      nowS: 100,
      cards: urgentVictims,
      ready: [task('urgent', 'qwen2.5:7b', { priority: 10, readyAtS: 100 })],
    });
    expect(swapAwarePolicy(blocked).decisions).toEqual([]);
  });
});

describe('swap-aware: brain cards', () => {
  const backlog = Array.from({ length: 24 }, (_, i) => task(`seg${i}`, 'qwen2.5:7b', { estimateS: 120, seq: i }));
  const others = [busy(1, 2000), busy(2, 2000), busy(4, 2000)];

  it('lends the idle brain cards (evicting the 14B) when the worker backlog outweighs the reload', () => {
    const state = input({ cards: [card(0, ['qwen2.5:14b']), ...others, card(3, ['qwen2.5:14b'])], ready: backlog });
    const decisions = swapAwarePolicy(state).decisions;
    expect(decisions[0]).toMatchObject({ kind: 'start', unload: [0, 3], load: 'qwen2.5:7b' });
  });

  it('keeps the 14B when the backlog is small', () => {
    const state = input({
      cards: [card(0, ['qwen2.5:14b']), ...others, card(3, ['qwen2.5:14b'])],
      ready: backlog.slice(0, 1),
    });
    expect(swapAwarePolicy(state).decisions).toEqual([]);
  });

  it('does not lend when a brain task is due before the work and the 14B reload could finish', () => {
    const state = input({
      cards: [card(0, ['qwen2.5:14b']), ...others, card(3, ['qwen2.5:14b'])],
      ready: backlog,
      upcoming: [upcoming('summary', 'qwen2.5:14b', 200, { executor: 'brain', taskClass: 'llm' })],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([]);
  });

  it('reloads the 14B ahead of an upcoming brain task once its cards are free', () => {
    const state = input({
      cards: [card(0, ['qwen2.5:7b']), ...others, card(3, ['whisper-small.en'])],
      upcoming: [upcoming('summary', 'qwen2.5:14b', 100, { executor: 'brain', taskClass: 'llm' })],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'prepare', gpus: [0, 3], unload: [0, 3], model: 'qwen2.5:14b' },
    ]);
  });

  it('runs a script beside the resident 14B while the brain is idle', () => {
    const state = input({
      cards: [card(0, ['qwen2.5:14b']), ...others, card(3, ['qwen2.5:14b'])],
      ready: [task('embed', 'all-mpnet-base-v2', { estimateS: 3 })],
    });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'embed', gpus: [0], unload: [], load: 'all-mpnet-base-v2' },
    ]);
  });
});
