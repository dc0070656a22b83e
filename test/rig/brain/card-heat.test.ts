import { describe, expect, it } from 'vitest';
import { restoreCardHeat } from '../../../rig/src/brain/card-views.js';
import { WorkerRegistry } from '../../../rig/src/brain/worker-registry.js';

/** A worker entry on cards 1 and 2, as a register leaves it. */
function entry() {
  const worker = new WorkerRegistry({ id: () => 'boot' }).ensure('w1', 0);
  worker.info = {
    id: 'w1',
    gpus: [
      { index: 1, vram_mb: 6144 },
      { index: 2, vram_mb: 6144 },
    ],
    classes: ['script'],
    executor: 'worker',
    slots: 1,
    simulated: false,
    host: 'rig',
    pid: 4242,
  };
  return worker;
}

describe('the held cards a register names', () => {
  it('are what the brain holds after it: the listed ones of its own cards, and no others', () => {
    const worker = entry();
    worker.heat.set(1, 85);
    restoreCardHeat(worker, [
      { gpu: 2, temperature_c: 88, stop_at_c: 83, resume_below_c: 78 },
      { gpu: 4, temperature_c: 90 },
    ]);
    expect([...worker.heat]).toEqual([[2, 88]]);
    restoreCardHeat(worker, []);
    expect(worker.heat.size).toBe(0);
  });

  it('change nothing when an older worker does not say', () => {
    const worker = entry();
    worker.heat.set(1, 85);
    restoreCardHeat(worker, undefined);
    expect([...worker.heat]).toEqual([[1, 85]]);
  });
});
