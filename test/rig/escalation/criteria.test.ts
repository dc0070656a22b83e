import { describe, expect, it } from 'vitest';
import { makeFakeGpus } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { startHarness, type Harness } from '../../gateway/gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import type { RigHarness } from '../../helpers/rig-harness.js';
import { boundFor } from '../../helpers/process-start.js';
import { rigFor, submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const answer = () => JSON.stringify({ type: 'answer', text: 'the external answer' });

/** Calls that reached Claude's stand-in for the task named `name` (each handoff names its task). */
const callsFor = (gateway: Harness, name: string) =>
  gateway.stub.received.filter((request) => request.body.includes(name)).length;

/**
 * Attempts that ran, by plan task name: a lease lost because a worker on a saturated machine stayed silent past
 * heartbeat_ms x liveness is the configured liveness at work, not a run of the task, and is not counted.
 */
const ran = (rig: RigHarness, name: string) =>
  rig.readDb((db) => db.prepare('SELECT attempts - lost_leases FROM tasks WHERE name = ?').pluck().get(name));

const longPrompt = `Summarize this transcript: ${'the quick brown fox jumps over the lazy dog '.repeat(200)}`;

/**
 * A gateway, a rig sending to it, and a worker on a fake card served by an Ollama stand-in (context 1200: a short
 * prompt with its structured system part and the 512 tokens kept for the answer fits, the long one does not).
 */
async function llmRig(escalation: Record<string, unknown> = {}): Promise<{ gateway: Harness; rig: RigHarness }> {
  const gateway = track(await startHarness({ stub: { reply: answer } }));
  const gpus = await makeFakeGpus();
  track({ close: () => gpus.remove() });
  const models = [{ name: 'qwen2.5:7b', context_length: 1200, gpus: [1] }];
  const ollama = track(await startOllamaStub({ models }));
  const rig = track(rigFor(gateway, gateway.server.url, escalation));
  await rig.startBrain();
  await rig.startWorker('w1', ['--gpus', '1', '--ollama', ollama.url], gpus.env);
  return { gateway, rig };
}

// Each test's timeout: brain and workers, each up to PROCESS_START_MS on a saturated machine (the three workers of the
// last start together, as good as serial on 2 saturated cores), plus the 40 s it allows the plan.
describe('every escalation criterion, end to end through a real gateway, paid exactly once', () => {
  it(
    'the explicit flag and two local failures: one call each, the answer used',
    async () => {
      const gateway = track(await startHarness({ stub: { reply: answer } }));
      const rig = track(rigFor(gateway));
      await rig.startBrain();
      await rig.startWorker('w1');
      const planId = await submit(rig, {
        plan: 'criteria',
        tasks: [
          { name: 'flagged', command: 'false', requires_external: true },
          { name: 'twice_failed', command: 'exit 3', max_retries: 5 },
        ],
      });
      const final = await rig.finished(planId, 40_000);
      const byName = Object.fromEntries((final.tasks ?? []).map((task) => [task.name, task]));
      expect(byName['flagged']).toMatchObject({ status: 'completed', attempts: 0, source: 'external:gateway' });
      expect(byName['twice_failed']).toMatchObject({ status: 'completed', attempts: 2, source: 'external:gateway' });
      expect(callsFor(gateway, 'flagged')).toBe(1);
      expect(callsFor(gateway, 'twice_failed')).toBe(1);
      expect(gateway.stub.received).toHaveLength(2);
    },
    boundFor(2, 40_000),
  );

  it(
    'a context beyond every local model, and low confidence: one call each, the answer used',
    async () => {
      const { gateway, rig } = await llmRig();
      const planId = await submit(rig, {
        plan: 'criteria',
        tasks: [
          { name: 'too_long', type: 'llm', model: 'qwen2.5:7b', prompt: longPrompt },
          // The stand-in echoes the prompt: the answer carries the marker the brain's model writes when unsure.
          { name: 'unsure', type: 'llm', model: 'qwen2.5:7b', prompt: 'Which card? [[RIGMIND:LOW_CONFIDENCE]]' },
        ],
      });
      const final = await rig.finished(planId, 40_000);
      const byName = Object.fromEntries((final.tasks ?? []).map((task) => [task.name, task]));
      expect(byName['too_long']).toMatchObject({ status: 'completed', source: 'external:gateway' });
      expect(byName['unsure']).toMatchObject({ status: 'completed', source: 'external:gateway' });
      expect([ran(rig, 'too_long'), ran(rig, 'unsure')]).toEqual([1, 1]);
      expect(callsFor(gateway, 'too_long')).toBe(1);
      expect(callsFor(gateway, 'unsure')).toBe(1);
      expect(gateway.stub.received).toHaveLength(2);
    },
    boundFor(2, 40_000),
  );

  it(
    'a context overflow as the local failure that reaches after_failures: the re-route wins, paid once',
    async () => {
      // after_failures 1, so the overflow on the first attempt is the failure that would reach it (the seed's 2nd):
      // the same path as a second failure, without scripting which Ollama call fails first.
      const { gateway, rig } = await llmRig({ after_failures: 1 });
      const task = { name: 'overflows', type: 'llm' as const, model: 'qwen2.5:7b', prompt: longPrompt };
      const planId = await submit(rig, { plan: 'criteria', tasks: [task] });
      const final = await rig.finished(planId, 40_000);
      expect(final.tasks?.[0]).toMatchObject({ status: 'completed', source: 'external:gateway' });
      expect(ran(rig, 'overflows')).toBe(1);
      expect(gateway.stub.received).toHaveLength(1);
      const escalated = "SELECT json_extract(body, '$.cause') FROM events WHERE event_type = 'task_escalated'";
      const reasons = rig.readDb((db) => db.prepare(escalated).pluck().all());
      expect(reasons).toEqual(['context_too_long']);
    },
    boundFor(2, 40_000),
  );

  it(
    'a lost lease is no local failure: a task whose worker died twice finishes locally, nothing paid',
    async () => {
      const gateway = track(await startHarness({ stub: { reply: answer } }));
      const rig = track(rigFor(gateway));
      await rig.startBrain();
      await Promise.all(['w1', 'w2', 'w3'].map((id) => rig.startWorker(id)));
      // The first two attempts kill the worker running them (the task's parent); the third succeeds.
      const count = `${rig.home}/attempts`;
      const command = [
        `n=$(cat ${count} 2>/dev/null || echo 0)`,
        `echo $((n + 1)) > ${count}`,
        'if [ "$n" -lt 2 ]; then kill -9 $PPID; sleep 5; fi',
        'echo done',
      ].join('; ');
      const planId = await submit(rig, { plan: 'criteria', tasks: [{ name: 'kills_its_worker', command }] });
      const final = await rig.finished(planId, 40_000);
      expect(final.tasks?.[0]).toMatchObject({ status: 'completed', worker_id: expect.any(String) });
      expect(ran(rig, 'kills_its_worker')).toBe(1);
      expect(rig.readDb((db) => db.prepare('SELECT lost_leases FROM tasks').pluck().get())).toBeGreaterThanOrEqual(2);
      expect(final.tasks?.[0]?.source).not.toBe('external:gateway');
      expect(gateway.stub.received).toHaveLength(0);
    },
    boundFor(4, 40_000),
  );
});
