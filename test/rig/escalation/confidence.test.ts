import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIDENCE_FORMAT } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { makeFakeGpus } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { startHarness } from '../../gateway/gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor } from '../../helpers/process-start.js';
import { rigFor, submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

describe('structured confidence', () => {
  it(
    'a confident answer is used and handed on; an unconfident one is escalated, and the external answer handed on',
    async () => {
      const gateway = track(
        await startHarness({ stub: { reply: () => ({ type: 'answer', text: 'the external answer' }) } }),
      );
      const gpus = await makeFakeGpus();
      track({ close: () => gpus.remove() });
      const ollama = track(
        await startOllamaStub({
          models: [{ name: 'qwen2.5:7b', gpus: [1] }],
          replies: [
            { match: 'Is the sky blue', reply: { answer: 'yes', confidence: 0.9 } },
            { match: 'Which clip is best', reply: { answer: 'maybe the third', confidence: 0.2 } },
          ],
        }),
      );
      const rig = track(rigFor(gateway));
      await rig.startBrain();
      await rig.startWorker('w1', ['--gpus', '1', '--ollama', ollama.url], gpus.env);
      const data = join(rig.home, 'data');
      mkdirSync(data, { recursive: true });
      const ask = (name: string, prompt: string) => ({
        name,
        type: 'llm' as const,
        model: 'qwen2.5:7b',
        confidence: true,
        prompt,
        output: join(data, `${name}.txt`),
      });
      const planId = await submit(rig, {
        plan: 'confidence',
        tasks: [
          ask('sure', 'Is the sky blue?'),
          ask('unsure', 'Which clip is best?'),
          {
            name: 'both',
            depends_on: ['sure', 'unsure'],
            inputs: { a: { from: 'sure' }, b: { from: 'unsure' } },
            command: 'cat "$RIGMIND_INPUT_A" "$RIGMIND_INPUT_B" > "$RIGMIND_OUTPUT"',
            output: join(data, 'both.txt'),
          },
        ],
      });
      const final = await rig.finished(planId, 40_000);
      const byName = Object.fromEntries((final.tasks ?? []).map((task) => [task.name, task]));
      expect(byName['sure']).toMatchObject({ status: 'completed' });
      expect(byName['sure']?.source).not.toBe('external:gateway');
      expect(byName['unsure']).toMatchObject({ status: 'completed', source: 'external:gateway' });
      expect(byName['both']).toMatchObject({ status: 'completed' });
      // The dependent read the confident local answer and the external one, never the unconfident one.
      expect(readFileSync(join(data, 'both.txt'), 'utf8')).toBe('yesthe external answer');
      expect(gateway.stub.received).toHaveLength(1);
      const escalated = "SELECT json_extract(body, '$.cause') FROM events WHERE event_type = 'task_escalated'";
      expect(rig.readDb((db) => db.prepare(escalated).pluck().all())).toEqual(['low_confidence']);
      // Asked through Ollama's JSON-schema format, and told so in the system part.
      const asked = ollama.state.requests.filter(
        (request) => request.path === '/api/generate' && 'format' in (request.body as object),
      );
      // One ask per attempt of each llm task: a lease lost to a saturated machine may add a run (at-least-once).
      const attempts = rig.readDb((db) =>
        db.prepare("SELECT SUM(attempts) FROM tasks WHERE name IN ('sure', 'unsure')").pluck().get(),
      );
      expect(asked.length).toBeGreaterThanOrEqual(2);
      expect(asked.length).toBeLessThanOrEqual(Number(attempts));
      for (const request of asked) expect((request.body as { format: unknown }).format).toEqual(CONFIDENCE_FORMAT);
      expect((asked[0]?.body as { system?: string } | undefined)?.system).toContain('"confidence"');
    },
    boundFor(2, 40_000),
  );
});
