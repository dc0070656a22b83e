import { describe, expect, it } from 'vitest';
import { makeFakeGpus, updateFakeGpuState } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor, SATURATION_FACTOR } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();
const POLL_MS = 200;
/** up, its brain and three workers, then `status` twice. */
const STARTS = 7;

describe('a card held for heat', () => {
  it('shows as held with its temperature in status, and up warns on its terminal', {
    timeout: boundFor(STARTS),
  }, async () => {
    const gpus = await makeFakeGpus();
    track({ close: () => gpus.remove() });
    await updateFakeGpuState(gpus.statePath, (state) => {
      const card = state.gpus.find((gpu) => gpu.index === 2);
      if (card !== undefined) card.temperature_c = 88;
    });
    const rig = track(new RigHarness({ extraConfig: { gpu: { poll_ms: POLL_MS } } }));
    const up = rig.spawn(['up', '--workers', '3'], gpus.env);
    // Three workers, and then the hot card's first poll: a few poll periods on a saturated machine.
    await rig.until(async () => (await rig.workers()).length === 3, boundFor(5), 'three workers');
    await rig.until(
      async () => (await rig.workers()).some((worker) => worker.held !== undefined),
      POLL_MS * 3 * SATURATION_FACTOR,
      'card 2 held',
    );

    const workers = await rig.workers();
    expect(workers.find((worker) => worker.id === 'w3')?.held).toEqual([{ gpu: 2, temperature_c: 88 }]);
    expect(workers.filter((worker) => worker.held !== undefined).map((worker) => worker.id)).toEqual(['w3']);
    const status = await rig.run(['status']);
    expect(status.stdout).toMatch(/^ {2}w3 .* HELD for heat: gpu 2 at 88 C$/m);
    expect(status.stdout).not.toMatch(/^ {2}w1 .*HELD/m);

    up.kill('SIGINT');
    const ended = await up;
    expect(ended.exitCode).toBe(0);
    expect(ended.stderr).toMatch(/rigmind: WARNING gpu 2 on w3 at 88 C: held, no new work until it is below 78 C/);
    expect(ended.stderr).toMatch(/rigmind: WARNING gpu 2 on w3 at 88 C: ALERT, above 85 C/);
  });
});
