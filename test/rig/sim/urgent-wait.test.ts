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
});
