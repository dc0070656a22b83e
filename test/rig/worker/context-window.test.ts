import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundFor } from '../../helpers/process-start.js';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { makeFakeGpus } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { startOllamaStub, type OllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
let ollama: OllamaStub;
let gpus: Awaited<ReturnType<typeof makeFakeGpus>>;
beforeEach(async () => {
  rig = new RigHarness();
  gpus = await makeFakeGpus();
  ollama = await startOllamaStub({
    models: [
      { name: 'qwen2.5:7b', context_length: 600, gpus: [1] },
      { name: 'qwen2.5:14b', context_length: 32_768, gpus: [0, 3] },
    ],
  });
});
afterEach(async () => {
  await rig.cleanup();
  await ollama.close();
  await gpus.remove();
});

async function submit(plan: Plan): Promise<string> {
  const result = await rig.client.request('submit_plan', { plan });
  if (!result.ok) throw new Error(`refused: ${result.message}`);
  return (result.value as MessageOf<'plan_accepted'>).plan_id;
}

/**
 * Attempts of a task that ran. A lease lost because the worker, on a saturated machine, stayed silent past
 * heartbeat_ms x liveness is the configured liveness at work (the lease goes back, not counted as a failure):
 * it is no run of the task, and not what these tests are about.
 */
const ran = (taskId: string | undefined) =>
  rig.readDb((db) => db.prepare('SELECT attempts - lost_leases FROM tasks WHERE task_id = ?').pluck().get(taskId));

const longPrompt = `Summarize this transcript: ${'the quick brown fox jumps over the lazy dog '.repeat(200)}`;

describe('a prompt longer than the model context', () => {
  it('is never truncated: without a bigger model it fails at once, saying why', {
    timeout: boundFor(2, 15_000),
  }, async () => {
    await rig.startBrain();
    await rig.startWorker('w1', ['--gpus', '1', '--ollama', ollama.url], gpus.env);
    const planId = await submit({
      plan: 'long',
      tasks: [{ name: 'too_long', type: 'llm', model: 'qwen2.5:7b', prompt: longPrompt }],
    });
    const final = await rig.finished(planId, 15_000);
    expect(final.tasks?.[0]).toMatchObject({ status: 'failed' });
    expect(ran(final.tasks?.[0]?.task_id)).toBe(1);
    expect(final.tasks?.[0]?.cause).toMatch(/^context_too_long: ~\d+ tokens for qwen2\.5:7b \(600\)/);
    // Nothing was generated, and the model was not even loaded for it.
    expect(ollama.state.requests.filter((request) => request.path === '/api/generate')).toHaveLength(0);
  });

  it("moves to the brain's model when a brain executor is there", { timeout: boundFor(3, 15_000) }, async () => {
    await rig.startBrain();
    await Promise.all([
      rig.startWorker('w1', ['--gpus', '1', '--ollama', ollama.url], gpus.env),
      rig.startWorker(
        'brain-gpu',
        ['--gpus', '0,3', '--executor', 'brain', '--model', 'qwen2.5:14b', '--ollama', ollama.url],
        gpus.env,
      ),
    ]);
    const planId = await submit({
      plan: 'long',
      tasks: [{ name: 'too_long', type: 'llm', model: 'qwen2.5:7b', prompt: longPrompt }],
    });
    const final = await rig.finished(planId, 15_000);
    expect(final.tasks?.[0]).toMatchObject({ status: 'completed', worker_id: 'brain-gpu' });
    const generated = ollama.state.requests
      .filter(
        (request) => request.path === '/api/generate' && ((request.body as { prompt?: string }).prompt ?? '') !== '',
      )
      .map((request) => (request.body as { model: string }).model);
    // Only the brain's model generated, at most once per attempt: a lease lost to a saturated machine may add a
    // run (at-least-once), never a generation by the 7B.
    expect(new Set(generated)).toEqual(new Set(['qwen2.5:14b']));
    const attempts = rig.readDb((db) =>
      db.prepare('SELECT attempts FROM tasks WHERE task_id = ?').pluck().get(final.tasks?.[0]?.task_id),
    );
    expect(generated.length).toBeLessThanOrEqual(Number(attempts));
  });
});
