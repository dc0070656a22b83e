import { EventSchema, type RigEvent } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import {
  CARD_TRANSITIONS,
  CardStateMachine,
  CardStateSchema,
  canTransition,
  ForbiddenTransitionError,
  type CardState,
  type TransitionRequest,
} from '../../../rig/src/gpu/card-state.js';

function manualClock(start = Date.UTC(2026, 1, 6, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const request = (to: CardState): TransitionRequest =>
  to === 'booting_llm' || to === 'booting_script'
    ? { to, model: to === 'booting_llm' ? 'qwen2.5:7b' : 'whisper-small.en' }
    : { to };

/** A path of allowed transitions from idle to `state`, found by breadth-first search over the table. */
function pathTo(state: CardState): CardState[] {
  const queue: CardState[][] = [['idle']];
  const seen = new Set<CardState>(['idle']);
  for (let path = queue.shift(); path; path = queue.shift()) {
    const last = path[path.length - 1] as CardState;
    if (last === state) return path.slice(1);
    for (const next of CARD_TRANSITIONS[last]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push([...path, next]);
      }
    }
  }
  throw new Error(`${state} is unreachable`);
}

function machineIn(state: CardState, clock = manualClock()) {
  const machine = new CardStateMachine({ gpuId: 2, workerId: 'worker-1', runtime: clock });
  for (const to of pathTo(state)) machine.transition(request(to));
  expect(machine.state).toBe(state);
  return machine;
}

describe('the card transition table', () => {
  it('reaches every state from idle', () => {
    for (const state of CardStateSchema.options) expect(() => pathTo(state)).not.toThrow();
  });

  const all = CardStateSchema.options;
  const pairs = all.flatMap((from) => all.map((to) => [from, to] as const));

  it.each(pairs.filter(([from, to]) => canTransition(from, to)))(
    'allows %s -> %s with a valid gpu_state event',
    (from, to) => {
      const machine = machineIn(from);
      const events = machine.transition(request(to));
      expect(machine.state).toBe(to);
      for (const event of events) expect(EventSchema.parse(event)).toEqual(event);
      expect(events[0]).toMatchObject({
        event_type: 'gpu_state',
        gpu_id: 2,
        worker_id: 'worker-1',
        detail: { from, to },
      });
    },
  );

  it.each(pairs.filter(([from, to]) => !canTransition(from, to)))(
    'forbids %s -> %s by throwing, state unchanged',
    (from, to) => {
      const machine = machineIn(from);
      let caught: unknown;
      try {
        machine.transition(request(to));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ForbiddenTransitionError);
      expect(caught).toMatchObject({ code: 'forbidden_transition', from, to, gpuId: 2 });
      expect(machine.state).toBe(from);
    },
  );

  it('allows exactly the documented table', () => {
    expect(CARD_TRANSITIONS).toEqual({
      idle: ['booting_llm', 'booting_script'],
      booting_llm: ['llm_ready', 'unloading', 'error'],
      llm_ready: ['llm_busy', 'unloading', 'error'],
      llm_busy: ['llm_ready', 'error'],
      booting_script: ['script_busy', 'unloading', 'error'],
      script_busy: ['unloading', 'error'],
      unloading: ['idle', 'error'],
      error: ['unloading', 'idle'],
    });
  });
});

describe('CardStateMachine events', () => {
  it('tells the LLM-to-script switch with load and unload durations from the clock', () => {
    const clock = manualClock();
    const machine = new CardStateMachine({ gpuId: 1, runtime: clock });
    const log: RigEvent[] = [];
    const step = (to: TransitionRequest, afterMs: number) => {
      clock.advance(afterMs);
      log.push(...machine.transition(to));
    };
    step({ to: 'booting_llm', model: 'qwen2.5:7b' }, 1_000);
    step({ to: 'llm_ready' }, 105_000);
    step({ to: 'llm_busy', taskId: 't1' }, 10);
    step({ to: 'llm_ready', taskId: 't1' }, 4_000);
    step({ to: 'unloading', reason: 'script work queued' }, 20);
    step({ to: 'idle' }, 7_500);
    expect(machine.model).toBeNull();
    step({ to: 'booting_script', model: 'whisper-small.en', taskId: 't2' }, 5);
    step({ to: 'script_busy', taskId: 't2' }, 4_000);

    expect(log.map((event) => `${event.event_type}:${String(event.detail?.['to'] ?? '')}`)).toEqual([
      'gpu_state:booting_llm',
      'gpu_allocated:',
      'gpu_state:llm_ready',
      'model_loaded:',
      'gpu_state:llm_busy',
      'gpu_state:llm_ready',
      'gpu_state:unloading',
      'gpu_state:idle',
      'model_unloaded:',
      'gpu_state:booting_script',
      'gpu_allocated:',
      'gpu_state:script_busy',
      'model_loaded:',
    ]);
    const byType = (type: string) => log.filter((event) => event.event_type === type);
    expect(byType('model_loaded').map((event) => [event.duration_ms, event.detail])).toEqual([
      [105_000, { model: 'qwen2.5:7b', kind: 'llm' }],
      [4_000, { model: 'whisper-small.en', kind: 'script' }],
    ]);
    expect(byType('model_unloaded')).toEqual([
      expect.objectContaining({ duration_ms: 7_500, detail: { model: 'qwen2.5:7b', kind: 'llm' } }),
    ]);
    expect(byType('gpu_allocated')[1]).toMatchObject({
      task_id: 't2',
      detail: { model: 'whisper-small.en', kind: 'script' },
    });
    expect(log[6]).toMatchObject({ duration_ms: 20, detail: { reason: 'script work queued', model: 'qwen2.5:7b' } });
    expect(log[0]?.timestamp).toBe(new Date(Date.UTC(2026, 1, 6, 12) + 1_000).toISOString());
  });

  it('puts the reason of an error in the event error field and keeps the model until reset', () => {
    const machine = machineIn('llm_busy');
    const [event] = machine.transition({ to: 'error', reason: 'ollama_unreachable' });
    expect(event).toMatchObject({
      event_type: 'gpu_state',
      error: 'ollama_unreachable',
      detail: { from: 'llm_busy', to: 'error' },
    });
    expect(machine.model).toEqual({ name: 'qwen2.5:7b', kind: 'llm' });
    machine.transition({ to: 'unloading' });
    const events = machine.transition({ to: 'idle' });
    expect(events.map((e) => e.event_type)).toEqual(['gpu_state', 'model_unloaded']);
  });

  it('measures time in the current state', () => {
    const clock = manualClock();
    const machine = machineIn('llm_ready', clock);
    clock.advance(1_500);
    expect(machine.elapsedMs()).toBe(1_500);
    expect(machine.can('llm_busy')).toBe(true);
    expect(machine.can('booting_script')).toBe(false);
  });
});
