import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageOf, Plan } from '@rigmind/protocol';
import { makeFakeGpus, updateFakeGpuState } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { boundFor, PROCESS_START_MS, SATURATION_FACTOR } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const POLL_MS = 150;
const HEARTBEAT_MS = 200;
/**
 * Heartbeats a worker may miss before the brain reaps it (and re-runs what it held). With the harness's 3 (600 ms),
 * under load a worker busy starting its first task was starved past the window, reaped while alive, and ran the
 * task twice (attempts 1 and 2: one booting_llm lost, or llm_busy twice), which the exact card sequences below
 * cannot show. Saturated, a heartbeat comes up to SATURATION_FACTOR times late; twice that is the window (the
 * config allows at most 20).
 */
const LIVENESS = 2 * SATURATION_FACTOR;

/** How long each plan below may take to finish, as before; a test adds the brain's and the worker's start to it. */
const PLAN_MS = 30_000;
/** A switching test: the brain and a worker started one after the other, then a plan run to its end. */
const SWITCH_TEST_MS = boundFor(2, PLAN_MS);

let rig: RigHarness;
let cleanups: (() => Promise<unknown>)[] = [];
beforeEach(() => {
  rig = new RigHarness({
    heartbeatMs: HEARTBEAT_MS,
    extraConfig: { heartbeat_liveness: LIVENESS, gpu: { poll_ms: POLL_MS, unload_timeout_ms: 10_000 } },
  });
  cleanups = [];
});
afterEach(async () => {
  await rig.cleanup();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function submit(plan: Plan): Promise<string> {
  const result = await rig.client.request('submit_plan', { plan });
  if (!result.ok) throw new Error(`refused: ${result.message}`);
  return (result.value as MessageOf<'plan_accepted'>).plan_id;
}

/** Fake nvidia-smi cards and an Ollama stand-in holding `model`, whose VRAM comes back `lagMs` after an unload. */
async function standIns(model: { name: string; load_ms: number; vram_mb: number; gpus: number[] }, lagMs: number) {
  const gpus = await makeFakeGpus();
  cleanups.push(() => gpus.remove());
  const ollama = await startOllamaStub({
    models: [model],
    nvidia_smi_state: gpus.statePath,
    unload_delay_ms: 100,
    vram_release_lag_ms: lagMs,
  });
  cleanups.push(() => ollama.close());
  return { gpus, ollama };
}

type Row = { event_type: string; task: string | null; to: string | null; kind: string | null };
const gpuEvents = (planId: string) =>
  rig.readDb(
    (db) =>
      db
        .prepare(
          `SELECT event_type, json_extract(body, '$.plan_task_id') AS task, json_extract(body, '$.detail.to') AS "to",
                json_extract(body, '$.detail.kind') AS kind
         FROM events
         WHERE event_type IN ('gpu_state', 'model_loaded', 'model_unloaded', 'task_completed', 'gpu_thermal')
           AND (plan_id = ? OR plan_id IS NULL) ORDER BY seq`,
        )
        .all(planId) as Row[],
  );

describe('a worker on (stand-in) GPUs', () => {
  it(
    'switches its card from LLM to script work and back, waiting for the VRAM before each load',
    async () => {
      const { gpus, ollama } = await standIns({ name: 'qwen2.5:7b', load_ms: 100, vram_mb: 5200, gpus: [1] }, 400);
      await rig.startBrain();
      await rig.startWorker('gpu1', ['--gpus', '1', '--ollama', ollama.url], gpus.env);
      const planId = await submit({
        plan: 'switch',
        tasks: [
          { name: 'summarize', type: 'llm', model: 'qwen2.5:7b', prompt: 'Summarize the transcript in one line.' },
          {
            name: 'embed',
            task_class: 'script',
            model: 'all-mpnet-base-v2',
            command: 'echo "embedding on $CUDA_VISIBLE_DEVICES"',
            depends_on: ['summarize'],
          },
          { name: 'title', type: 'llm', model: 'qwen2.5:7b', prompt: 'Give it a title.', depends_on: ['embed'] },
        ],
      });
      const final = await rig.finished(planId, PLAN_MS);
      expect(final.state).toBe('completed');
      const states = gpuEvents(planId)
        .filter((e) => e.event_type === 'gpu_state')
        .map((e) => e.to);
      // The seed's switch: load the LLM, run it, unload it and wait for VRAM, run the script, clear, load the LLM
      // again.
      expect(states).toEqual([
        'booting_llm',
        'llm_ready',
        'llm_busy',
        'llm_ready',
        'unloading',
        'idle',
        'booting_script',
        'script_busy',
        'unloading',
        'idle',
        'booting_llm',
        'llm_ready',
        'llm_busy',
        'llm_ready',
      ]);
      const kinds = gpuEvents(planId).map((e) => e.event_type);
      expect(kinds.filter((k) => k === 'model_loaded').length).toBeGreaterThanOrEqual(2);
      expect(kinds).toContain('model_unloaded');
      // The LLM was out of Ollama and its VRAM back in nvidia-smi before the script started: the stub logged the unload
      // request, and the second load came after.
      const requests = ollama.state.requests.map(
        (request) => `${request.path}:${String((request.body as { keep_alive?: unknown } | null)?.keep_alive ?? '')}`,
      );
      expect(requests.some((line) => line === '/api/generate:0')).toBe(true);
      const tokens = rig.readDb((db) =>
        db.prepare('SELECT tokens_generated FROM attempts WHERE task_id = ?').pluck().get(`${planId}.summarize`),
      ) as number;
      expect(tokens).toBeGreaterThan(0);
      // Tokens per second, the seed's missing metric, per task and per worker.
      const perTask = rig.readDb((db) =>
        db.prepare('SELECT tokens_per_second FROM attempts WHERE task_id = ?').pluck().get(`${planId}.summarize`),
      ) as number;
      expect(perTask).toBeGreaterThan(0);
      const worker = (await rig.workers()).find((w) => w.id === 'gpu1');
      expect(worker?.tokens_per_second).toBeGreaterThan(0);
      expect(worker).toMatchObject({ completed: 3, failed: 0 });
    },
    SWITCH_TEST_MS,
  );

  it(
    "lends an idle brain's card to a script: the 14B is unloaded first and the script sees only its card",
    async () => {
      const { gpus, ollama } = await standIns({ name: 'qwen2.5:14b', load_ms: 100, vram_mb: 4900, gpus: [0, 3] }, 300);
      await rig.startBrain();
      await rig.startWorker(
        'brain',
        [
          '--gpus',
          '0,3',
          '--classes',
          'script,llm',
          '--executor',
          'brain',
          '--model',
          'qwen2.5:14b',
          '--ollama',
          ollama.url,
        ],
        gpus.env,
      );
      const planId = await submit({
        plan: 'lend',
        tasks: [
          { name: 'ask', type: 'llm', executor: 'brain', prompt: 'Which clips matter?' },
          {
            name: 'embed',
            task_class: 'script',
            model: 'all-mpnet-base-v2',
            command: 'echo "embedding on $CUDA_VISIBLE_DEVICES"',
            depends_on: ['ask'],
          },
          {
            name: 'answer',
            type: 'llm',
            executor: 'brain',
            prompt: 'Answer from the embeddings.',
            depends_on: ['embed'],
          },
        ],
      });
      const final = await rig.finished(planId, PLAN_MS);
      expect(final.state).toBe('completed');
      expect(final.tasks?.find((task) => task.name === 'embed')).toMatchObject({
        status: 'completed',
        worker_id: 'brain',
      });
      // The brain named one card, and that card alone was visible to the script.
      const detail = rig.readDb((db) =>
        db
          .prepare(
            "SELECT json_extract(body, '$.detail.gpus') FROM events " +
              "WHERE event_type = 'task_dispatched' AND task_id = ?",
          )
          .pluck()
          .get(`${planId}.embed`),
      ) as string;
      const [card] = JSON.parse(detail) as number[];
      expect([0, 3]).toContain(card);
      const stdoutPath = rig.readDb((db) =>
        db.prepare('SELECT stdout_path FROM attempts WHERE task_id = ?').pluck().get(`${planId}.embed`),
      ) as string;
      expect(readFileSync(stdoutPath, 'utf8').trim()).toBe(`embedding on ${card}`);
      // The 14B spanning both cards went (keep_alive 0) before the script, and came back for the answer.
      const requests = ollama.state.requests.map((request) =>
        String((request.body as { keep_alive?: unknown } | null)?.keep_alive ?? ''),
      );
      const unload = requests.indexOf('0');
      expect(unload).toBeGreaterThan(-1);
      expect(requests.slice(unload + 1)).toContain('-1');
    },
    SWITCH_TEST_MS,
  );

  it(
    'stops a hot card taking new work and resumes it once cool (thermal guard)',
    async () => {
      const gpus = await makeFakeGpus();
      cleanups.push(() => gpus.remove());
      await updateFakeGpuState(gpus.statePath, (state) => {
        const card = state.gpus.find((gpu) => gpu.index === 2);
        if (card !== undefined) card.temperature_c = 88;
      });
      await rig.startBrain();
      await rig.startWorker('gpu2', ['--gpus', '2', '--simulate-llm'], gpus.env);
      // One poll (a fake nvidia-smi process) after the worker's start, then its events reach the brain.
      const pollBound = PROCESS_START_MS + POLL_MS * SATURATION_FACTOR;
      await rig.until(
        () => gpuEvents('none').some((e) => e.event_type === 'gpu_thermal' && e.kind === 'hot'),
        pollBound,
        'card reported hot',
      );
      const planId = await submit({ plan: 'heat', tasks: [{ name: 'work', command: 'echo done' }] });
      // Held, not merely not yet dispatched: the brain has heard the worker for a whole liveness window after the
      // plan was queued (every heartbeat restates that it takes no work, and a worker reaped and registered again
      // in that window must not come back as accepting), with the guard polling the hot card all along.
      const queuedAt = Date.parse((await rig.status(planId)).submitted_at);
      const windowMs = HEARTBEAT_MS * LIVENESS + POLL_MS;
      await rig.until(
        async () => {
          const worker = (await rig.workers()).find((w) => w.id === 'gpu2');
          return worker !== undefined && Date.parse(worker.last_seen) > queuedAt + windowMs;
        },
        windowMs * SATURATION_FACTOR,
        'the brain hearing the hot worker for a liveness window after the plan was queued',
      );
      expect((await rig.status(planId)).tasks?.[0]?.status).toBe('queued');
      expect(gpuEvents('none').some((e) => e.event_type === 'gpu_thermal' && e.kind === 'alert')).toBe(true);
      await updateFakeGpuState(gpus.statePath, (state) => {
        const card = state.gpus.find((gpu) => gpu.index === 2);
        if (card !== undefined) card.temperature_c = 70;
      });
      // The next poll (one nvidia-smi process) sees it cool; the task then runs `echo`, one more process.
      const final = await rig.finished(planId, boundFor(2, POLL_MS * SATURATION_FACTOR));
      expect(final.state).toBe('completed');
      expect(gpuEvents('none').some((e) => e.event_type === 'gpu_thermal' && e.kind === 'cooled')).toBe(true);
    },
    boundFor(6, (HEARTBEAT_MS * LIVENESS + POLL_MS) * SATURATION_FACTOR),
  );
});
