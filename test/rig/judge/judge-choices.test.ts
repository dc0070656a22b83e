import { join } from 'node:path';
import { JUDGEMENT_FORMAT, type JudgementNote, type TaskStatusRow } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { startOllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { startHarness } from '../../gateway/gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import type { RigHarness } from '../../helpers/rig-harness.js';
import { boundFor } from '../../helpers/process-start.js';
import { rigFor, submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const BRAIN_MODEL = 'qwen2.5:14b';

/** A shell command that fails its first run, saying something no rule classifies, and succeeds after. */
const flaky = (rig: RigHarness, name: string) => {
  const mark = join(rig.home, `${name}.ran`);
  return `[ -e '${mark}' ] || { touch '${mark}'; echo 'upstream said: connection reset by peer' >&2; exit 3; }`;
};

/** The judgement a task's status shows. */
const judgementOf = (task: TaskStatusRow | undefined): JudgementNote | null | undefined => task?.judgement;

/** What the stand-in answers the brain's model about the task named `name`. */
const judged = (name: string, reply: unknown) => ({ match: `"name": "${name}"`, model: BRAIN_MODEL, reply });

describe("the brain's model judges failures no rule classifies, and the rules dispose", () => {
  it(
    'retry, fix, escalate and give up, each taken from a scripted reply; a command change without the policy and ' +
      'an unusable reply fall back to the rules, and status shows every decision with its reasoning',
    async () => {
      const gateway = track(
        await startHarness({ stub: { reply: () => JSON.stringify({ type: 'answer', text: 'the external answer' }) } }),
      );
      const ollama = track(
        await startOllamaStub({
          models: [{ name: BRAIN_MODEL }],
          replies: [
            judged('j_retry', { decision: 'retry', reasoning: 'a reset connection is transient', confidence: 0.9 }),
            judged('j_fix', {
              decision: 'fix',
              reasoning: 'the timeout is too short for this upstream',
              confidence: 0.8,
              fix: { timeout_s: 120 },
            }),
            judged('j_escalate', { decision: 'escalate', reasoning: 'beyond the local models', confidence: 0.95 }),
            judged('j_give_up', {
              decision: 'give_up',
              reasoning: 'the input is gone for good',
              reason: 'the input file was deleted upstream',
              confidence: 0.9,
            }),
            judged('j_command', {
              decision: 'fix',
              reasoning: 'run true instead',
              confidence: 0.9,
              fix: { command: 'true' },
            }),
            judged('j_unusable', 'I think you should probably retry it'),
            judged('j_unsure', { decision: 'give_up', reasoning: 'hard to say', reason: 'unclear', confidence: 0.3 }),
          ],
        }),
      );
      // after_failures high: only the model's escalate sends anything to the gateway.
      const rig = track(
        rigFor(
          gateway,
          gateway.server.url,
          { after_failures: 10 },
          { ollama_url: ollama.url, judge: { enabled: true, model: BRAIN_MODEL } },
        ),
      );
      await rig.startBrain();
      await rig.startWorker('w1');
      const planId = await submit(rig, {
        plan: 'judge',
        tasks: [
          // max_retries 0: the rules alone would fail each of these after one attempt.
          { name: 'j_retry', command: flaky(rig, 'j_retry'), max_retries: 0 },
          { name: 'j_fix', command: flaky(rig, 'j_fix'), max_retries: 0, timeout_s: 30 },
          { name: 'j_escalate', command: 'echo "no local model can do this" >&2; exit 4', max_retries: 0 },
          // Retries left: the rules alone would run it three times.
          { name: 'j_give_up', command: 'echo "no such input" >&2; exit 2', max_retries: 2 },
          { name: 'j_command', command: 'echo "bad flag" >&2; exit 5', max_retries: 0 },
          // One retry left: the rules' default retries it, and the second run succeeds.
          { name: 'j_unusable', command: flaky(rig, 'j_unusable'), max_retries: 1 },
          // An unsure judgement is not applied: it is escalated, like an unsure answer.
          { name: 'j_unsure', command: 'echo "segment 7 odd" >&2; exit 6', max_retries: 0 },
        ],
      });
      const final = await rig.finished(planId, 40_000);
      const byName = Object.fromEntries((final.tasks ?? []).map((task) => [task.name, task]));

      expect(byName['j_retry']).toMatchObject({ status: 'completed', attempts: 2 });
      expect(judgementOf(byName['j_retry'])).toMatchObject({
        decision: 'retry',
        outcome: 'applied',
        confidence: 0.9,
        reasoning: 'a reset connection is transient',
      });

      expect(byName['j_fix']).toMatchObject({
        status: 'completed',
        attempts: 2,
        fix_applied: 'brain model: timeout_s=120',
      });
      expect(judgementOf(byName['j_fix'])).toMatchObject({ decision: 'fix', outcome: 'applied' });
      expect(rig.readDb((db) => db.prepare("SELECT timeout_s FROM tasks WHERE name = 'j_fix'").pluck().get())).toBe(
        120,
      );

      expect(byName['j_escalate']).toMatchObject({ status: 'completed', attempts: 1, source: 'external:gateway' });
      expect(judgementOf(byName['j_escalate'])).toMatchObject({ decision: 'escalate', outcome: 'applied' });
      expect(byName['j_unsure']).toMatchObject({ status: 'completed', attempts: 1, source: 'external:gateway' });
      expect(judgementOf(byName['j_unsure'])).toMatchObject({ decision: 'give_up', outcome: 'low_confidence' });
      expect(gateway.stub.received).toHaveLength(2);
      expect(gateway.stub.received.filter((request) => request.body.includes('j_escalate'))).toHaveLength(1);
      expect(gateway.stub.received.filter((request) => request.body.includes('j_unsure'))).toHaveLength(1);
      const escalated = "SELECT json_extract(body, '$.cause') FROM events WHERE event_type = 'task_escalated'";
      expect(rig.readDb((db) => db.prepare(escalated).pluck().all()).sort()).toEqual([
        'brain_judgement',
        'low_confidence',
      ]);

      expect(byName['j_give_up']).toMatchObject({
        status: 'failed',
        attempts: 1,
        cause: "given up by the brain's model: the input file was deleted upstream",
      });
      expect(judgementOf(byName['j_give_up'])).toMatchObject({ decision: 'give_up', outcome: 'applied' });

      // Changing the command needs the person's approval: refused, the rules' default (no retries left: failed).
      expect(byName['j_command']).toMatchObject({ status: 'failed', attempts: 1 });
      expect(byName['j_command']?.fix_applied ?? '').not.toContain('brain model');
      expect(judgementOf(byName['j_command'])).toMatchObject({ decision: 'fix', outcome: 'refused' });
      expect(judgementOf(byName['j_command'])?.why).toContain('needs_approval');
      expect(rig.readDb((db) => db.prepare("SELECT command FROM tasks WHERE name = 'j_command'").pluck().get())).toBe(
        'echo "bad flag" >&2; exit 5',
      );

      // Not a judgement: the rules' default (a retry), and the second run succeeds.
      expect(byName['j_unusable']).toMatchObject({ status: 'completed', attempts: 2 });
      expect(judgementOf(byName['j_unusable'])).toMatchObject({ decision: null, outcome: 'unusable' });

      // Each decision is an event carrying its reasoning, after the task_judging that asked for it.
      const events = rig.readDb((db) =>
        db
          .prepare(
            "SELECT event_type, json_extract(body, '$.plan_task_id') AS name, json_extract(body, '$.detail') AS d " +
              "FROM events WHERE event_type IN ('task_judging', 'task_judged') ORDER BY seq",
          )
          .all(),
      ) as { event_type: string; name: string; d: string | null }[];
      const names = ['j_retry', 'j_fix', 'j_escalate', 'j_give_up', 'j_command', 'j_unusable', 'j_unsure'];
      for (const name of names) {
        const mine = events.filter((event) => event.name === name);
        expect(mine.map((event) => event.event_type)).toEqual(['task_judging', 'task_judged']);
      }
      const giveUp = events.find((event) => event.name === 'j_give_up' && event.event_type === 'task_judged');
      expect(JSON.parse(giveUp?.d ?? '{}')).toMatchObject({ reasoning: 'the input is gone for good' });

      // Asked with the judgement's JSON schema, the error output wrapped as untrusted data.
      const asked = ollama.state.requests.filter(
        (request) => (request.body as { model?: string }).model === BRAIN_MODEL,
      );
      expect(asked).toHaveLength(names.length);
      // The tasks fail in any order: take j_retry's request.
      const body = asked.find((request) => (request.body as { prompt?: string }).prompt?.includes('"name": "j_retry"'))
        ?.body as { format?: unknown; prompt?: string };
      expect(body.format).toEqual(JUDGEMENT_FORMAT);
      expect(body.prompt).toMatch(/<untrusted_data[^>]*>[\s\S]*connection reset by peer[\s\S]*<\/untrusted_data/);

      // `rigmind status` shows each decision and its reasoning under the task.
      const shown = await rig.run(['status', planId]);
      expect(shown.stdout).toContain('judged give_up (confidence 0.9), applied. because: the input is gone for good');
      expect(shown.stdout).toContain(
        'judged retry (confidence 0.9), applied. because: a reset connection is transient',
      );
      expect(shown.stdout).toMatch(/judged fix \(confidence 0\.9\), refused: needs_approval/);
    },
    boundFor(2, 40_000),
  );
});
