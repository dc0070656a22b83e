import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageOf } from '@rigmind/protocol';
import { REPO, RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

describe('rigmind up --simulate PROFILE', () => {
  it("runs the profile's rig live on simulated cards, paying the profile's model switches", async () => {
    const up = rig.spawn(['up', '--simulate', `${REPO}/examples/rigs/rig-5x1060.json`, '--time-scale', '0.002']);
    await rig.until(async () => (await rig.workers()).length === 5, 30_000, 'five workers');
    expect((await rig.workers()).map((worker) => worker.id).sort()).toEqual(['brain-gpu0-3', 'cpu', 'gpu1', 'gpu2', 'gpu4']);
    const submitted = await rig.client.request('submit_plan', {
      plan: {
        plan: 'sim',
        tasks: [
          { name: 'transcribe', task_class: 'script', model: 'whisper-small.en', command: 'python transcribe.py', estimate_s: 40 },
          { name: 'segment', type: 'llm', model: 'qwen2.5:7b', prompt: 'segment it', estimate_s: 60, depends_on: ['transcribe'] },
          { name: 'frames', task_class: 'cpu', command: 'ffmpeg -i video.mp4 frames/%03d.jpg', estimate_s: 20 },
          { name: 'index', type: 'llm', executor: 'brain', prompt: 'index it', estimate_s: 30, depends_on: ['segment', 'frames'] },
        ],
      },
    });
    expect(submitted.ok).toBe(true);
    const planId = (submitted as { reply: MessageOf<'plan_accepted'> }).reply.plan_id;
    const final = await rig.finished(planId, 30_000);
    expect(final.state).toBe('completed');
    expect(final.tasks?.every((task) => task.simulated)).toBe(true);
    expect(final.tasks?.find((task) => task.name === 'index')?.worker_id).toBe('brain-gpu0-3');
    const loads = rig.readDb((db) =>
      db.prepare("SELECT json_extract(body, '$.detail.model') FROM events WHERE event_type = 'model_loaded' AND json_extract(body, '$.detail.simulated') = 1").pluck().all(),
    ) as string[];
    expect(loads).toContain('whisper-small.en');
    expect(loads).toContain('qwen2.5:7b');
    expect(loads).toContain('qwen2.5:14b');
    up.kill('SIGINT');
    const ended = await up;
    expect(ended.exitCode).toBe(0);
  });
});
