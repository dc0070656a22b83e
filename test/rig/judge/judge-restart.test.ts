import { describe, expect, it } from 'vitest';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';
import { boundFor } from '../../helpers/process-start.js';
import { submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const BRAIN_MODEL = 'qwen2.5:14b';

describe('a brain stopped while its model judges a failure', () => {
  it(
    'leaves the task judging; the next start runs it again, and judgements stop at judge.max_per_task',
    async () => {
      // The first judgement never comes back; later ones are a confident retry.
      const ollama = track(
        await startOllamaStub({
          models: [{ name: BRAIN_MODEL }],
          faults: [{ kind: 'hang', path: '/api/generate', model: BRAIN_MODEL }],
          replies: [
            {
              match: '"name": "j_restart"',
              model: BRAIN_MODEL,
              reply: { decision: 'retry', reasoning: 'try again', confidence: 0.9 },
            },
          ],
        }),
      );
      const rig = track(
        new RigHarness({
          extraConfig: { ollama_url: ollama.url, judge: { enabled: true, model: BRAIN_MODEL, max_per_task: 2 } },
        }),
      );
      const first = await rig.startBrain();
      await rig.startWorker('w1');
      const planId = await submit(rig, {
        plan: 'restart',
        tasks: [{ name: 'j_restart', command: 'echo "odd failure" >&2; exit 7', max_retries: 0 }],
      });
      await rig.until(
        async () => (await rig.status(planId)).tasks?.[0]?.cause?.startsWith('judging: ') === true,
        40_000,
        'j_restart judging',
      );
      first.proc.kill('SIGTERM');
      await first.proc;
      await rig.startBrain();
      // The restarted brain and the worker's reconnect are process starts on top of the judged work.
      const final = (await rig.finished(planId, boundFor(1, 40_000))).tasks?.[0];
      // Run again after the restart, judged twice (two retries granted), then the rules alone: no retries left.
      expect(final).toMatchObject({ status: 'failed' });
      expect(final?.judgement).toMatchObject({ count: 2, decision: 'retry', outcome: 'applied' });
      const count = (type: string) =>
        rig.readDb((db) => db.prepare('SELECT count(*) FROM events WHERE event_type = ?').pluck().get(type));
      expect(count('task_judging')).toBe(3);
      expect(count('task_judged')).toBe(2);
      expect(final?.attempts).toBeGreaterThanOrEqual(4);
    },
    boundFor(4, 80_000),
  );
});
