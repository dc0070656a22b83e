import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageOf, PlanTask } from '@rigmind/protocol';
import { boundFor, SATURATION_FACTOR } from '../../helpers/process-start.js';
import { REPO, RigHarness } from '../../helpers/rig-harness.js';

const PROFILE = `${REPO}/examples/rigs/rig-5x1060.json`;
const TIME_SCALE = 0.002;
const HEARTBEAT_MS = 200; // the harness's config
const TASKS: PlanTask[] = [
  {
    name: 'transcribe',
    task_class: 'script',
    model: 'whisper-small.en',
    command: 'python transcribe.py',
    estimate_s: 40,
  },
  {
    name: 'segment',
    type: 'llm',
    model: 'qwen2.5:7b',
    prompt: 'segment it',
    estimate_s: 60,
    depends_on: ['transcribe'],
  },
  { name: 'frames', task_class: 'cpu', command: 'ffmpeg -i video.mp4 frames/%03d.jpg', estimate_s: 20 },
  {
    name: 'index',
    type: 'llm',
    executor: 'brain',
    prompt: 'index it',
    estimate_s: 30,
    depends_on: ['segment', 'frames'],
  },
];
/** up, its brain and five workers: on 2 saturated cores their starts are as good as serial. */
const STARTS = 7;
/**
 * The plan's time from its configuration: every estimate and every load of the profile's models run one after
 * another (the worst order), at the time scale, plus a liveness window of heartbeats per task for dispatch and
 * result; times the slowdown of a saturated machine.
 */
const PLAN_MS = (() => {
  const profile = JSON.parse(readFileSync(PROFILE, 'utf8')) as {
    models: Record<string, { load_s: number }>;
    unload_s: number;
  };
  const simulatedS =
    TASKS.reduce((sum, task) => sum + (task.estimate_s ?? 0), 0) +
    Object.values(profile.models).reduce((sum, model) => sum + model.load_s + profile.unload_s, 0);
  return (simulatedS * TIME_SCALE * 1000 + TASKS.length * 3 * HEARTBEAT_MS) * SATURATION_FACTOR;
})();

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

describe('rigmind up --simulate PROFILE', () => {
  it("runs the profile's rig live on simulated cards, paying the profile's model switches", {
    timeout: boundFor(STARTS) + PLAN_MS + boundFor(1),
  }, async () => {
    const up = rig.spawn(['up', '--simulate', PROFILE, '--time-scale', String(TIME_SCALE)]);
    await rig.until(async () => (await rig.workers()).length === 5, boundFor(STARTS), 'five workers');
    expect((await rig.workers()).map((worker) => worker.id).sort()).toEqual([
      'brain-gpu0-3',
      'cpu',
      'gpu1',
      'gpu2',
      'gpu4',
    ]);
    const submitted = await rig.client.request('submit_plan', { plan: { plan: 'sim', tasks: TASKS } });
    expect(submitted.ok).toBe(true);
    const planId = (submitted as { value: MessageOf<'plan_accepted'> }).value.plan_id;
    const final = await rig.finished(planId, PLAN_MS);
    expect(final.state).toBe('completed');
    expect(final.tasks?.every((task) => task.simulated)).toBe(true);
    expect(final.tasks?.find((task) => task.name === 'index')?.worker_id).toBe('brain-gpu0-3');
    const loads = rig.readDb((db) =>
      db
        .prepare(
          "SELECT json_extract(body, '$.detail.model') FROM events " +
            "WHERE event_type = 'model_loaded' AND json_extract(body, '$.detail.simulated') = 1",
        )
        .pluck()
        .all(),
    ) as string[];
    expect(loads).toContain('whisper-small.en');
    expect(loads).toContain('qwen2.5:7b');
    expect(loads).toContain('qwen2.5:14b');
    up.kill('SIGINT');
    const ended = await up;
    expect(ended.exitCode).toBe(0);
  });
});
