import { describe, expect, it } from 'vitest';
import { swapAwarePolicy } from '../../../rig/src/scheduler/swap-aware-policy.js';
import { DEFAULT_KNOBS, SchedulerKnobsSchema } from '../../../rig/src/scheduler/types.js';
import type { SchedTask } from '../../../rig/src/scheduler/types.js';
import { card, input, running, seedRig, task, upcoming } from './fixtures.js';

// The 14B is back 7.5 s (unload) + 135 s (load) after its cards are freed, with the default margin of 0.
const LEAD_S = 142.5;
const NOW_S = 500;
const summaryDue = (windowS: number) =>
  upcoming('summary', 'qwen2.5:14b', NOW_S + LEAD_S + windowS, { executor: 'brain', taskClass: 'llm' });
const describe_ = (id: string, estimateS: number, fields = {}) =>
  task(id, 'qwen2.5-vl:7b', { estimateS, priority: 4, ...fields });

/** Brain card 0 lent to the VL model and free; its partner 3 and every worker card busy, card 4 holding the VL too. */
const lentCards = [
  card(0, ['qwen2.5-vl:7b']),
  card(1, ['whisper-small.en'], 900, running('t1', 1, 450)),
  card(2, ['qwen2.5:7b'], 900, running('t2', 2, 450)),
  card(3, ['whisper-small.en'], 520, running('t3', 3, 450)),
  card(4, ['qwen2.5-vl:7b'], 520, running('t4', 4, 450, 4, 'qwen2.5-vl:7b')),
];

describe('lending brain cards: the last task before the reclaim', () => {
  const ready = [
    describe_('d60', 60),
    describe_('d68', 68, { seq: 1 }),
    describe_('d50', 50, { seq: 2 }),
    describe_('d55', 55, { seq: 3 }),
  ];

  it('runs the task that balances a short overrun of the window against the work it takes off the worker card', () => {
    // 65 s left: 60 s would leave 5 s of the window unused and 68 s more for card 4; 68 s overruns by 3 s only.
    const state = input({ nowS: NOW_S, cards: lentCards, ready, upcoming: [summaryDue(65)] });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'd68', gpus: [0], unload: [], load: null },
    ]);
  });

  it('leaves the card idle for the reclaim rather than overrun the window by more than running nothing costs', () => {
    const state = input({ nowS: NOW_S, cards: lentCards, ready, upcoming: [summaryDue(10)] });
    expect(swapAwarePolicy(state).decisions).toEqual([]);
  });

  it('leaves the choice to ordinary batching while two or more tasks still fit', () => {
    const state = input({ nowS: NOW_S, cards: lentCards, ready, upcoming: [summaryDue(400)] });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'd60', gpus: [0], unload: [], load: null },
    ]);
  });

  it('does not pass over a higher-priority task of the model to balance', () => {
    const urgentish = [describe_('d68', 68), describe_('p6', 50, { priority: 6, seq: 1 })];
    const state = input({ nowS: NOW_S, cards: lentCards, ready: urgentish, upcoming: [summaryDue(65)] });
    expect(swapAwarePolicy(state).decisions).toEqual([
      { kind: 'start', taskId: 'p6', gpus: [0], unload: [], load: null },
    ]);
  });
});

describe('lending brain cards: a switch must pay for itself', () => {
  // Brain card 3 free with Whisper, a 7B backlog and no 7B anywhere: lending it means unloading and loading the 7B.
  const cards = [
    card(0, ['whisper-small.en'], 2000, running('t0', 0, 450)),
    card(1, ['whisper-small.en'], 2000, running('t1', 1, 450)),
    card(2, ['qwen2.5-vl:7b'], 2000, running('t2', 2, 450)),
    card(3, ['whisper-small.en']),
    card(4, ['qwen2.5-vl:7b'], 2000, running('t4', 4, 450)),
  ];
  const backlog = Array.from({ length: 6 }, (_, i) => task(`seg${i}`, 'qwen2.5:7b', { estimateS: 50, seq: i }));
  // A 300 s window: 112.5 s to switch, then 187.5 s of work, which pays the switch back once but not twice.
  const state = (knobs = DEFAULT_KNOBS) =>
    input({ nowS: NOW_S, cards, ready: backlog, upcoming: [summaryDue(300)], knobs });

  it('does not load an LLM on a lent card for less than lendPaybackFactor (2) times the switch in work', () => {
    expect(swapAwarePolicy(state()).decisions).toEqual([]);
  });

  it('does when the factor allows it', () => {
    const decisions = swapAwarePolicy(state(SchedulerKnobsSchema.parse({ lendPaybackFactor: 1 }))).decisions;
    expect(decisions[0]).toMatchObject({ kind: 'start', gpus: [3], unload: [3], load: 'qwen2.5:7b' });
  });
});

describe('lending brain cards: what the live brain allows', () => {
  const idleBrain = [
    card(0),
    card(1, ['whisper-small.en'], 2000, running('t1', 1, 450)),
    card(2, ['qwen2.5:7b'], 2000, running('t2', 2, 450)),
    card(3),
    card(4, [], 2000, running('t4', 4, 450)),
  ];
  const work = [
    task('seg', 'qwen2.5:7b', { estimateS: 600 }),
    task('embed', 'all-mpnet-base-v2', { estimateS: 600, seq: 1 }),
  ];

  it('lends a card to script work but not to a worker LLM when the rig says lendsLlm: false', () => {
    const lends = (rig = seedRig) =>
      swapAwarePolicy(input({ nowS: NOW_S, cards: idleBrain, ready: work, rig })).decisions.filter(
        (d) => d.kind === 'start',
      );
    expect(
      lends()
        .map((d) => d.kind === 'start' && d.taskId)
        .sort(),
    ).toEqual(['embed', 'seg']);
    const live = lends({ ...seedRig, lendsLlm: false });
    expect(live.map((d) => d.kind === 'start' && d.taskId)).toEqual(['embed']);
  });

  it('lends to work that has nowhere else to go, even with a brain task right after it', () => {
    const brainOnly = { ...seedRig, cards: seedRig.cards.filter((c) => c.gpu === 0 || c.gpu === 3) };
    const decisions = swapAwarePolicy(
      input({
        nowS: NOW_S,
        cards: [card(0, ['qwen2.5:14b']), card(3, ['qwen2.5:14b'])],
        ready: [work[1] as SchedTask],
        upcoming: [summaryDue(0)],
        rig: brainOnly,
      }),
    ).decisions;
    expect(decisions).toMatchObject([{ kind: 'start', taskId: 'embed' }]);
  });
});
