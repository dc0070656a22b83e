import { describe, expect, it } from 'vitest';
import { makeFakeGpus, updateFakeGpuState } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor, SATURATION_FACTOR } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';
import { submit } from '../../helpers/rig-with-gateway.js';

// Issue 15: a brain that forgot a worker (reaped it, or restarted) forgot which of its cards were held for heat.
// The worker's guard says `hot` once per excursion, so nothing told the new brain: status showed the card free.

const track = closesAfterEach();
const POLL_MS = 200;
const HEARTBEAT_MS = 200;
const LIVENESS = 3;
/** One liveness window on a saturated machine: the time a worker takes to be reaped, or to register again. */
const WINDOW_MS = HEARTBEAT_MS * LIVENESS * SATURATION_FACTOR;
/** A few polls of nvidia-smi on a saturated machine: the guard's verdict on a card. */
const POLLS_MS = POLL_MS * 3 * SATURATION_FACTOR;

/** A brain and one cpu worker on card 2 of the fake nvidia-smi, held once its guard has read `temperature` C. */
async function hotRig(temperature: number) {
  const gpus = await makeFakeGpus();
  track({ close: () => gpus.remove() });
  const setTemperature = (celsius: number) =>
    updateFakeGpuState(gpus.statePath, (state) => {
      const card = state.gpus.find((gpu) => gpu.index === 2);
      if (card !== undefined) card.temperature_c = celsius;
    });
  await setTemperature(temperature);
  const rig = track(
    new RigHarness({
      heartbeatMs: HEARTBEAT_MS,
      extraConfig: { heartbeat_liveness: LIVENESS, gpu: { poll_ms: POLL_MS } },
    }),
  );
  let brain = await rig.startBrain();
  const worker = await rig.startWorker('w1', ['--gpus', '2', '--classes', 'cpu'], gpus.env);
  const heldCards = async () => (await rig.workers()).find((each) => each.id === 'w1')?.held;
  await rig.until(async () => (await heldCards()) !== undefined, POLLS_MS, 'card 2 held');
  return {
    rig,
    worker,
    heldCards,
    setTemperature,
    restartBrain: async () => {
      brain.proc.kill('SIGKILL');
      await brain.proc;
      brain = await rig.startBrain();
    },
  };
}

/** The worker registered again: the brain lists it (it forgot it, so it was not listed until then). */
async function registeredAgain(rig: RigHarness): Promise<void> {
  await rig.until(
    async () => (await rig.workers()).some((each) => each.id === 'w1' && each.alive),
    WINDOW_MS,
    'w1 back',
  );
}

/** Work submitted after the worker came back waits while the card is held, and runs once it cools. */
async function heldUntilCool(setup: Awaited<ReturnType<typeof hotRig>>): Promise<void> {
  const { rig, heldCards, setTemperature } = setup;
  // Submitted after the register, which says the worker takes no work: no race with a heartbeat saying so.
  const planId = await submit(rig, { plan: 'waits', tasks: [{ name: 'cool_work', command: 'true', max_retries: 0 }] });
  // A window in which a brain that counted the card free would have dispatched (it pumps on every submit).
  await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * LIVENESS));
  expect((await rig.status(planId)).tasks?.[0]).toMatchObject({ status: 'queued', attempts: 0 });
  await setTemperature(40);
  const final = await rig.finished(planId, POLLS_MS + WINDOW_MS);
  expect(final.tasks?.[0]).toMatchObject({ status: 'completed', worker_id: 'w1' });
  expect(await heldCards()).toBeUndefined();
}

describe('a card held for heat, when its worker registers again', () => {
  it('stays held across a brain restart, and takes work once it cools', {
    // brain, worker, the brain again, `status`; then a liveness window, the polls and the task.
    timeout: boundFor(4, 2 * WINDOW_MS + POLLS_MS),
  }, async () => {
    const setup = await hotRig(88);
    await setup.restartBrain();
    await registeredAgain(setup.rig);
    expect(await setup.heldCards()).toEqual([{ gpu: 2, temperature_c: 88 }]);
    const status = await setup.rig.run(['status']);
    expect(status.stdout).toMatch(/^ {2}w1 .* HELD for heat: gpu 2 at 88 C$/m);
    await heldUntilCool(setup);
  });

  it('stays held when the brain reaped its worker, and takes work once it cools', {
    // brain and worker; then the reap, the return, a liveness window, the polls and the task.
    timeout: boundFor(2, 4 * WINDOW_MS + POLLS_MS),
  }, async () => {
    const setup = await hotRig(88);
    const pid = setup.worker.proc.pid as number;
    // A worker stopped past the liveness window is reaped: the brain forgets it and its held card.
    process.kill(pid, 'SIGSTOP');
    try {
      await setup.rig.until(
        async () => !(await setup.rig.workers()).some((each) => each.id === 'w1'),
        2 * WINDOW_MS,
        'w1 reaped',
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await registeredAgain(setup.rig);
    expect(await setup.heldCards()).toEqual([{ gpu: 2, temperature_c: 88 }]);
    await heldUntilCool(setup);
  });
});
