import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Plan } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../gateway/gateway-harness.js';
import { startOllamaStub, type OllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor } from '../../helpers/process-start.js';
import { CLI, NODE_ARGS, REPO, RigHarness } from '../../helpers/rig-harness.js';
import { rigFor } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const GOAL = 'Transcribe videos/talk.mp4 and summarize what is said';
const VALID: Plan = {
  plan: 'talk',
  tasks: [
    {
      name: 'transcribe',
      type: 'shell',
      task_class: 'script',
      model: 'whisper-small.en',
      command: 'python scripts/transcribe.py --in videos/talk.mp4 --out work/talk/transcript.json',
      output: 'work/talk/transcript.json',
      estimate_s: 42,
    },
    {
      name: 'summarize',
      type: 'llm',
      model: 'qwen2.5:7b',
      depends_on: ['transcribe'],
      inputs: { transcript: { from: 'transcribe' } },
      prompt: 'Summarize {{input.transcript}}',
      estimate_s: 38,
    },
  ],
};
/** The same plan with a misspelt dependency: what a 14B writes now and then. */
const TYPO: Plan = {
  ...VALID,
  tasks: [VALID.tasks[0] as Plan['tasks'][0], { ...VALID.tasks[1], name: 'summarize', depends_on: ['transcibe'] }],
};
const reply = (plan: Plan) => ({ beyond_local: false, reason: '', plan });

/** A rig home whose planner is the stand-in, with the example catalog of the seed's rig. */
function planning(rig: RigHarness, stub: OllamaStub): RigHarness {
  const path = join(rig.home, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    path,
    JSON.stringify({ ...config, ollama_url: stub.url, planner: { model: 'qwen2.5:14b', max_repairs: 2 } }),
  );
  copyFileSync(join(REPO, 'examples/catalogs/seed-rig.yaml'), join(rig.home, 'catalog.yaml'));
  return rig;
}

async function stub(replies: { reply: unknown; once?: boolean }[]): Promise<OllamaStub> {
  return track(
    await startOllamaStub({ models: [{ name: 'qwen2.5:14b' }], replies: replies.map((r) => ({ match: GOAL, ...r })) }),
  );
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
const conversationOf = (document: Record<string, unknown>) =>
  JSON.parse(readFileSync(document.conversation_file as string, 'utf8')) as {
    entries: { kind: string; text?: string; plan_id?: string; issues?: { path: string }[] }[];
  };

describe('rigmind ask', () => {
  it('drafts a valid plan, shows it with the simulated makespan, and submits it on --yes', {
    timeout: boundFor(4),
  }, async () => {
    const ollama = await stub([{ reply: reply(VALID) }]);
    const rig = planning(track(new RigHarness()), ollama);
    const shown = await rig.run(['ask', GOAL, '--dry-run']);
    expect(shown.stderr).not.toMatch(/\n\s+at /);
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toContain('drafted by qwen2.5:14b after 0 repair(s)');
    expect(shown.stdout).toMatch(/transcribe\s+script\s+whisper-small\.en\s+42 s\s+-/);
    expect(shown.stdout).toMatch(/summarize\s+llm\s+qwen2\.5:7b\s+38 s\s+transcribe/);
    expect(shown.stdout).toMatch(/simulated makespan: \d+(\.\d+)? s on seed-rig-5x-gtx1060 \(policy swap-aware/);
    expect(shown.stdout).toContain('dry run: nothing submitted');
    // The request as Ollama got it: the planner's JSON schema as `format`, the goal inside the untrusted block.
    const body = ollama.state.requests.find((r) => r.path === '/api/chat')?.body as {
      format: { required: string[] };
      messages: { role: string; content: string }[];
    };
    expect(body.format.required).toEqual(['beyond_local', 'reason', 'plan']);
    expect(body.messages[1]?.content).toMatch(new RegExp(`label="input goal">\\n${GOAL}\\n</untrusted_data`));

    await rig.startBrain();
    const run = await rig.run(['ask', GOAL, '--yes', '--json']);
    expect(run.exitCode).toBe(0);
    const document = json(run.stdout);
    expect(document).toMatchObject({ origin: 'local', repairs: 0, submitted: true });
    const status = await rig.status(document.plan_id as string);
    expect(status.tasks?.map((task) => task.name).sort()).toEqual(['summarize', 'transcribe']);
    // The tasks name the ask whose folder keeps the conversation.
    const sources = rig.readDb((db) =>
      db.prepare('SELECT DISTINCT source FROM tasks WHERE plan_id = ?').pluck().all(document.plan_id),
    );
    expect(sources).toEqual([`ask:${document.ask_id as string}`]);
    const conversation = conversationOf(document);
    expect(conversation.entries.map((entry) => entry.kind)).toEqual(['goal', 'prompt', 'reply', 'plan', 'decision']);
    expect(conversation.entries.at(-1)?.plan_id).toBe(document.plan_id);
  });

  it('sends an invalid draft back with its validation errors and shows the repaired plan', {
    timeout: boundFor(1),
  }, async () => {
    const ollama = await stub([{ reply: reply(TYPO), once: true }, { reply: reply(VALID) }]);
    const rig = planning(track(new RigHarness()), ollama);
    const run = await rig.run(['ask', GOAL, '--dry-run', '--json']);
    expect(run.exitCode).toBe(0);
    const document = json(run.stdout);
    expect(document).toMatchObject({ origin: 'local', repairs: 1, submitted: false });
    const chats = ollama.state.requests.filter((r) => r.path === '/api/chat');
    expect(chats).toHaveLength(2);
    const repair = (chats[1]?.body as { messages: { role: string; content: string }[] } | undefined)?.messages ?? [];
    expect(repair.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(repair[3]?.content).toContain("plan.tasks[1].depends_on[0]: unknown dependency 'transcibe'");
    const kinds = conversationOf(document).entries.map((entry) => entry.kind);
    expect(kinds).toEqual(['goal', 'prompt', 'reply', 'invalid', 'repair', 'reply', 'plan', 'decision']);
  });

  it('asks [y/N] on a terminal: y submits the plan, anything else runs nothing', {
    timeout: boundFor(4),
  }, async () => {
    const ollama = await stub([{ reply: reply(VALID) }]);
    const rig = planning(track(new RigHarness()), ollama);
    await rig.startBrain();
    // util-linux `script` gives the command a pseudo-terminal, so stdin and stdout are TTYs as for a person.
    const onTerminal = (answer: string) => {
      const command = [process.execPath, ...NODE_ARGS, CLI, '--home', rig.home, 'ask', JSON.stringify(GOAL)];
      return execa('script', ['-qec', command.join(' '), '/dev/null'], {
        cwd: REPO,
        reject: false,
        input: `${answer}\n`,
        env: { RIGMIND_WORK: rig.work, RIGMIND_LOG_LEVEL: 'warn' },
      });
    };
    const declined = await onTerminal('n');
    expect(declined.stdout).toContain('run it? [y/N]');
    expect(declined.stdout).toContain('not approved');
    expect(declined.exitCode).toBe(1);
    const none = await rig.client.request('status_request', {});
    expect(none.ok && none.value.kind === 'status_reply' && none.value.plans).toEqual([]);

    const approved = await onTerminal('y');
    expect(approved.stdout).toContain('run it? [y/N]');
    expect(approved.stdout).toMatch(/submitted \S+ \(2 tasks\)/);
    expect(approved.exitCode).toBe(0);
    const planId = /submitted (\S+) /.exec(approved.stdout)?.[1] as string;
    const status = await rig.status(planId);
    expect(status.tasks?.map((task) => task.name).sort()).toEqual(['summarize', 'transcribe']);
  });

  it("says in one line when the ask's files cannot be written, naming the folder", {
    timeout: boundFor(1),
  }, async () => {
    const ollama = await stub([{ reply: reply(VALID) }]);
    const rig = planning(track(new RigHarness()), ollama);
    // A file where the asks folder goes: unwritable even for root, who ignores permission bits.
    writeFileSync(join(rig.home, 'asks'), 'not a folder');
    const run = await rig.run(['ask', GOAL, '--dry-run']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/cannot write the ask's plan and conversation in \S+\/asks\/\S+ \((ENOTDIR|EEXIST)\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('escalates a plan it cannot repair; the proposal is shown and not run, even on --yes', {
    timeout: boundFor(3),
  }, async () => {
    const ollama = await stub([{ reply: reply(TYPO) }]);
    const gateway: Harness = track(await startHarness());
    gateway.stub.script({
      kind: 'ok',
      input: { type: 'subtasks', rationale: 'one transcript, one summary', tasks: VALID.tasks },
    });
    const rig = planning(track(rigFor(gateway)), ollama);
    await rig.startBrain();
    const run = await rig.run(['ask', GOAL, '--yes']);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('a proposal from the external tier is never run on --yes');
    expect(run.stdout).toMatch(
      /PROPOSED by the external tier \(escalation \S+\), because no valid plan after 2 repair/,
    );
    expect(run.stdout).toContain('rationale: one transcript, one summary');
    expect(run.stdout).toMatch(/summarize\s+llm\s+qwen2\.5:7b\s+38 s\s+transcribe/);
    // Three drafts (the first and two repairs), then one call upstream carrying the goal as untrusted data.
    expect(ollama.state.requests.filter((r) => r.path === '/api/chat')).toHaveLength(3);
    expect(gateway.stub.received).toHaveLength(1);
    expect(gateway.stub.received[0]?.body).toContain(GOAL);
    // Nothing reached the brain.
    const plans = await rig.client.request('status_request', {});
    expect(plans.ok && plans.value.kind === 'status_reply' && plans.value.plans).toEqual([]);
    const file = /plan file: (\S+)/.exec(run.stdout)?.[1] as string;
    const conversation = JSON.parse(readFileSync(join(file, '..', 'conversation.json'), 'utf8')) as {
      entries: { kind: string; code?: string }[];
    };
    const kinds = conversation.entries.map((entry) => entry.kind);
    expect(kinds.filter((kind) => kind === 'invalid')).toHaveLength(3);
    expect(conversation.entries.filter((e) => e.kind === 'escalation').map((e) => e.code)).toEqual([
      'repeated_failure',
      'subtasks',
    ]);
    expect(kinds.slice(-2)).toEqual(['plan', 'decision']);
  });
});
