import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageOf } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';
import { boundFor } from '../../helpers/process-start.js';
import { submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const BRAIN_MODEL = 'qwen2.5:14b';

describe("the judge under the person's policy, and when no model answers", () => {
  it(
    'a command change is applied under judge.allow_command_change; a judgement under way blocks nothing and shows ' +
      "as judging; with no answer the rules' default applies, logged",
    async () => {
      const ollama = await startOllamaStub({
        models: [{ name: BRAIN_MODEL }],
        replies: [
          {
            match: '"name": "j_cmd"',
            model: BRAIN_MODEL,
            reply: { decision: 'fix', reasoning: 'the flag is wrong', confidence: 0.9, fix: { command: 'true' } },
          },
        ],
      });
      let closed = false;
      const closeOllama = async () => {
        if (closed) return;
        closed = true;
        await ollama.close();
      };
      track({ close: closeOllama });
      const rig = track(
        new RigHarness({
          extraConfig: {
            ollama_url: ollama.url,
            judge: { enabled: true, model: BRAIN_MODEL, allow_command_change: true },
          },
        }),
      );
      await rig.startBrain();
      await rig.startWorker('w1');

      // The person's standing approval: the model's new command is applied, recorded as the task's fix.
      const first = await submit(rig, {
        plan: 'policy',
        tasks: [{ name: 'j_cmd', command: 'echo "unknown flag --frob" >&2; exit 5', max_retries: 0 }],
      });
      const fixed = (await rig.finished(first, 40_000)).tasks?.[0];
      expect(fixed).toMatchObject({ status: 'completed', attempts: 2, fix_applied: 'brain model: command=true' });
      expect(fixed?.judgement).toMatchObject({ decision: 'fix', outcome: 'applied' });
      expect(rig.readDb((db) => db.prepare("SELECT command FROM tasks WHERE name = 'j_cmd'").pluck().get())).toBe(
        'true',
      );

      // The brain's model never answers: the task waits, visibly, and the brain goes on with other work.
      ollama.state.faults.push({ kind: 'hang', path: '/api/generate', model: BRAIN_MODEL, status: 500, error: '' });
      const second = await submit(rig, {
        plan: 'unanswered',
        tasks: [{ name: 'j_hang', command: 'echo "odd failure" >&2; exit 7', max_retries: 0 }],
      });
      await rig.until(
        async () => {
          const task = (await rig.status(second)).tasks?.[0];
          return task?.status === 'retry_wait' && task.cause?.startsWith('judging: ') === true;
        },
        40_000,
        'j_hang judging',
      );
      const other = await submit(rig, { plan: 'meanwhile', tasks: [{ name: 'quick', command: 'true' }] });
      expect((await rig.finished(other, 40_000)).state).toBe('completed');
      expect((await rig.status(second)).tasks?.[0]).toMatchObject({ status: 'retry_wait' });

      // Ollama goes away: no judgement, the rules' default (no retries left: failed), said in the brain's log.
      await closeOllama();
      const unanswered = (await rig.finished(second, 40_000)).tasks?.[0];
      expect(unanswered).toMatchObject({ status: 'failed', attempts: 1 });
      expect(unanswered?.cause).toContain('exit code 7');
      expect(unanswered?.judgement).toMatchObject({ decision: null, outcome: 'no_answer' });
      // The log file is written asynchronously: wait (bounded) for the line.
      const logged = "no usable judgement from the brain's model; the rules decide";
      const log = join(rig.home, 'logs', 'brain.log');
      await rig.until(
        () => existsSync(log) && readFileSync(log, 'utf8').includes(logged),
        40_000,
        'the fallback logged',
      );
      const reply = await rig.client.request('status_request', {});
      expect(reply.ok && (reply.value as MessageOf<'status_reply'>).kind).toBe('status_reply');
    },
    boundFor(2, 60_000),
  );
});
