import { describe, expect, it } from 'vitest';
import type { CheckedTask } from '../../../rig/src/sim/check-trace.js';
import type { TraceEntry } from '../../../rig/src/sim/trace.js';
import { urgentWaits } from '../../../rig/src/sim/urgent-wait.js';
import { seedRig } from '../scheduler/fixtures.js';

const entry = (kind: TraceEntry['kind'], name: string, model: string | null, gpus: number[], s: number, e: number) =>
  ({ kind, name, model, gpus, start_s: s, end_s: e }) as TraceEntry;
const task = (id: string, model: string | null): CheckedTask => ({ id, deps: [], model, cpu: false, submitAtS: 0 });

describe('urgentWaits', () => {
  it('takes the card that can start the task soonest, counting its job in progress and the switch', () => {
    // At 100 s, when U (7B, priority 9) is ready: card 1 is loading the 7B for X until 105 and runs X until 130;
    // card 2 is empty (a 7B load: 205); card 4 runs Y on the VL until 150 (unload + load: 262.5); the brain cards
    // load the 14B until 135 (unload + load: 247.5); card 2 is then unloading for Z, a job that ends at 250.
    const trace = [
      entry('load', 'X', 'qwen2.5:7b', [1], 0, 105),
      entry('load', 'prepare', 'qwen2.5:14b', [0, 3], 0, 135),
      entry('load', 'Y', 'qwen2.5-vl:7b', [4], 0, 120),
      entry('load', 'W', 'qwen2.5:7b', [2], 0, 40),
      entry('run', 'W', 'qwen2.5:7b', [2], 40, 95),
      entry('unload', 'Z', 'qwen2.5:7b', [2], 95, 102.5),
      entry('load', 'Z', 'qwen2.5-vl:7b', [2], 102.5, 222.5),
      entry('run', 'Z', 'qwen2.5-vl:7b', [2], 222.5, 250),
      entry('run', 'X', 'qwen2.5:7b', [1], 105, 130),
      entry('run', 'Y', 'qwen2.5-vl:7b', [4], 120, 150),
      entry('run', 'U', 'qwen2.5:7b', [1], 140, 160),
    ];
    const records = [
      { id: 'X', priority: 5, readyAtS: 0, startS: 105, endS: 130 },
      { id: 'U', priority: 9, readyAtS: 100, startS: 140, endS: 160 },
    ];
    const waits = urgentWaits(trace, records, [task('X', 'qwen2.5:7b'), task('U', 'qwen2.5:7b')], seedRig, 9);
    expect(waits).toEqual([{ id: 'U', readyS: 100, startS: 140, earliestS: 130, waitS: 40, overS: 10 }]);
  });

  it('counts a load on an idle empty card when nothing holds the model', () => {
    const trace = [entry('run', 'U', 'qwen2.5:7b', [2], 105, 120), entry('load', 'U', 'qwen2.5:7b', [2], 0, 105)];
    const records = [{ id: 'U', priority: 10, readyAtS: 0, startS: 105, endS: 120 }];
    const [wait] = urgentWaits(trace, records, [task('U', 'qwen2.5:7b')], seedRig, 9);
    expect(wait?.earliestS).toBe(105);
    expect(wait?.overS).toBe(0);
  });

  it('does not give two urgent tasks the same card: the one served second waits for the first', () => {
    // Card 1 holds the 7B, free at 0. A (ready 0) runs 0-40 on it; B (ready 10) then runs 40-60 there. Alone, B's
    // earliest would be card 1 at 10; behind A it is 40, so B lost nothing. Every other card is empty (a 105 s load).
    const trace = [
      entry('load', 'prepare', 'qwen2.5:7b', [1], -105, 0),
      entry('run', 'A', 'qwen2.5:7b', [1], 0, 40),
      entry('run', 'B', 'qwen2.5:7b', [1], 40, 60),
    ];
    const records = [
      { id: 'A', priority: 9, readyAtS: 0, startS: 0, endS: 40 },
      { id: 'B', priority: 10, readyAtS: 10, startS: 40, endS: 60 },
    ];
    const tasks = [task('A', 'qwen2.5:7b'), task('B', 'qwen2.5:7b')];
    const waits = urgentWaits(trace, records, tasks, seedRig, 9);
    expect(waits.find((wait) => wait.id === 'B')).toMatchObject({ earliestS: 40, overS: 0 });
  });

  it('still counts a card that could have run the task in the gap before another urgent job', () => {
    // A (ready 0) waits for the brain-like reclaim of card 1 until 100; B (ready 10, 20 s) could have run 10-30 on
    // card 1 before A's job began, so B starting at 100 on a cold card lost 90 s.
    const trace = [
      entry('load', 'prepare', 'qwen2.5:7b', [1], -105, 0),
      entry('unload', 'A', 'qwen2.5:7b', [1], 100, 107.5),
      entry('load', 'A', 'qwen2.5-vl:7b', [1], 107.5, 227.5),
      entry('run', 'A', 'qwen2.5-vl:7b', [1], 227.5, 240),
      entry('load', 'B', 'qwen2.5:7b', [2], 10, 115),
      entry('run', 'B', 'qwen2.5:7b', [2], 115, 135),
    ];
    const records = [
      { id: 'A', priority: 9, readyAtS: 0, startS: 227.5, endS: 240 },
      { id: 'B', priority: 9, readyAtS: 10, startS: 115, endS: 135 },
    ];
    const tasks = [task('A', 'qwen2.5-vl:7b'), task('B', 'qwen2.5:7b')];
    const waits = urgentWaits(trace, records, tasks, seedRig, 9);
    expect(waits.find((wait) => wait.id === 'B')).toMatchObject({ earliestS: 10, overS: 105 });
  });
});
