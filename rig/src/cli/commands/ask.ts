import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { systemRuntime, type RigConfig } from '@rigmind/protocol';
import { standingApproval } from '../../ask/approval.js';
import { loadCatalog } from '../../ask/catalog-file.js';
import { askDir, Conversation, saveConversation, savePlan, type ConversationEntry } from '../../ask/conversation.js';
import { profilePath, renderPlan, simulatePlan } from '../../ask/plan-preview.js';
import { ollamaPlannerChat } from '../../ask/planner.js';
import { runAsk, type AskCode, type AskPlan } from '../../ask/run-ask.js';
import { OllamaClient } from '../../ollama/ollama-client.js';
import { freshMarker } from '../../ollama/task-prompt.js';
import { CliError, openHome, printJson } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { gatewayClientFor } from '../gateway-config.js';
import { submitPlanFile } from './submit.js';

interface AskFlags {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly wait?: boolean;
  readonly json?: boolean;
  readonly catalog?: string;
}

/** Each failure's exit status: 2 fix the config, 3 try again later, 1 the planning itself failed. */
const EXIT_OF: Readonly<Record<AskCode, number>> = {
  planner_unreachable: EXIT.unreachable,
  planner_model_missing: EXIT.usage,
  planner_failed: EXIT.failed,
  no_local_plan: EXIT.failed,
  escalation_unsettled: EXIT.unreachable,
  escalation_failed: EXIT.failed,
  declined: EXIT.failed,
  no_proposal: EXIT.failed,
  invalid_proposal: EXIT.failed,
};

/** `rigmind ask "GOAL" [--dry-run] [--yes] [--wait] [--json] [--catalog FILE]`. */
export function registerAsk(program: Command): void {
  program
    .command('ask <goal>')
    .description(
      "draft a plan from a goal with the brain's model and the rig's catalog, show it, and run it if approved",
    )
    .option('--dry-run', 'show the plan and submit nothing')
    .option('--yes', 'run a locally drafted plan without asking (a proposal from the external tier still waits)')
    .option('--wait', 'once submitted, follow the plan to the end')
    .option('--catalog <file>', "the catalog of commands and models (default: the config's planner.catalog)")
    .option('--json', 'print one JSON document')
    .action(async (goal: string, flags: AskFlags, command: Command) => {
      const { home, config } = openHome(command.optsWithGlobals<{ home?: string }>().home);
      const json = flags.json === true;
      const say = (line: string) => {
        if (!json) process.stderr.write(`${line}\n`);
      };
      const catalogFile = flags.catalog ?? resolve(home.dir, config.planner.catalog);
      const catalog = await loadCatalog(catalogFile);
      if (!catalog.ok) throw new CliError(catalog.message, EXIT.usage, catalog.code);
      if (goal.trim() === '') throw new CliError('the goal is empty', EXIT.usage, 'empty_goal');
      const askId = systemRuntime.id();
      const dir = askDir(home.dir, askId);
      const { model, max_repairs: maxRepairs } = config.planner;
      const conversation = new Conversation(systemRuntime.now, (entry) => {
        const line = progressLine(entry, maxRepairs);
        if (line !== undefined) say(line);
      });
      const save = () =>
        written(
          dir,
          saveConversation(dir, { ask_id: askId, goal, planner_model: model, entries: conversation.entries }),
        );
      const ollamaUrl = config.planner.ollama_url ?? config.ollama_url;
      say(`rigmind: asking ${model} at ${ollamaUrl} to plan from the catalog ${catalogFile}`);
      const client = new OllamaClient({ baseUrl: ollamaUrl, generateTimeoutMs: config.planner.timeout_ms });
      const asked = await runAsk({
        askId,
        goal,
        catalog: catalog.value,
        model,
        defaultModel: config.default_llm_model,
        maxRepairs,
        marker: freshMarker(),
        chat: ollamaPlannerChat(client, model, config.planner.timeout_ms),
        gateway: gatewayClientFor(home, config, undefined, 120_000),
        conversation,
      });
      if (!asked.ok) {
        const saved = await save();
        throw new CliError(`${asked.message}\nthe conversation: ${saved}`, EXIT_OF[asked.code], asked.code);
      }
      await approveAndRun(asked.value, { dir, askId, config, homeDir: home.dir, flags, conversation, save, say });
    });
}

/** The ask's files could not be written (a read-only or full home): one line naming the folder, not a stack. */
async function written<T>(dir: string, saving: Promise<T>): Promise<T> {
  try {
    return await saving;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(
      `cannot write the ask's plan and conversation in ${dir} (${code}): give a writable --home`,
      EXIT.usage,
      'ask_unwritable',
    );
  }
}

interface RunContext {
  readonly dir: string;
  readonly askId: string;
  readonly config: RigConfig;
  readonly homeDir: string;
  readonly flags: AskFlags;
  readonly conversation: Conversation;
  readonly save: () => Promise<string>;
  readonly say: (line: string) => void;
}

/** Show the plan, then submit it only with the person's approval (never a proposal on --yes alone). */
async function approveAndRun(drafted: AskPlan, context: RunContext): Promise<void> {
  const { dir, config, flags, conversation, save } = context;
  const json = flags.json === true;
  const planFile = await written(dir, savePlan(dir, drafted.plan));
  const simulation = await simulatePlan(planFile, profilePath(context.homeDir, config), config.scheduler.policy);
  const origin =
    drafted.origin === 'local'
      ? `drafted by ${config.planner.model} after ${drafted.repairs} repair(s)`
      : `PROPOSED by the external tier (escalation ${drafted.escalationId}), because ${drafted.why}`;
  conversation.add('plan', { file: planFile, text: origin });
  const shown = renderPlan(drafted.plan, drafted.resolved, simulation);
  if (!json) {
    process.stdout.write(
      `${origin}\n${drafted.origin === 'external' && drafted.rationale ? `rationale: ${drafted.rationale}\n` : ''}`,
    );
    process.stdout.write(`${shown}\nplan file: ${planFile}\n`);
  }
  const document = (extra: Record<string, unknown>) => ({
    ask_id: context.askId,
    origin: drafted.origin,
    ...(drafted.origin === 'local' ? { repairs: drafted.repairs } : { escalation_id: drafted.escalationId }),
    plan: drafted.plan,
    plan_file: planFile,
    conversation_file: join(dir, 'conversation.json'),
    simulation: simulation.ok ? simulation.value : { error: simulation.message },
    ...extra,
  });
  const howToRun = `run it with: rigmind --home ${context.homeDir} submit ${planFile}`;
  if (flags.dryRun === true) {
    conversation.add('decision', { text: 'dry run: nothing submitted' });
    await save();
    if (json) printJson(document({ submitted: false }));
    else process.stdout.write(`dry run: nothing submitted; ${howToRun}\n`);
    return;
  }
  const interactive = !json && process.stdin.isTTY === true && process.stdout.isTTY === true;
  // The table of decisions says who may have the plan run: `--yes` covers the brain's draft, never Claude's proposal.
  const standing = standingApproval(drafted.origin, flags.yes === true);
  const preApproved = standing.ok;
  let approved = preApproved;
  if (!approved && interactive)
    approved = await confirm(drafted.origin === 'external' ? 'run this proposal?' : 'run it?');
  if (!approved) {
    const why =
      !standing.ok && standing.code === 'not_allowed' && flags.yes === true
        ? 'a proposal from the external tier is never run on --yes: read it, then approve it yourself'
        : interactive
          ? 'not approved'
          : `not run: approval needed (no terminal to ask on)${drafted.origin === 'local' ? '; --yes runs it' : ''}`;
    conversation.add('decision', { text: why });
    await save();
    if (json) printJson(document({ submitted: false, reason: why }));
    throw new CliError(`${why}; ${howToRun}`, EXIT.failed, interactive ? 'not_approved' : 'approval_needed', {
      printedJson: json,
    });
  }
  const { accepted, final } = await submitPlanFile(config.brain, planFile, {
    wait: flags.wait === true,
    json,
    source: `ask:${context.askId}`,
    maxFrameBytes: config.max_frame_bytes,
  });
  conversation.add('decision', {
    text: preApproved ? 'approved by --yes; submitted' : 'approved; submitted',
    plan_id: accepted.plan_id,
  });
  await save();
  if (json) printJson(document({ submitted: true, plan_id: accepted.plan_id, ...(final ? { final } : {}) }));
  else
    process.stdout.write(
      `submitted ${accepted.plan_id} (${accepted.tasks.length} tasks); follow it with rigmind status\n`,
    );
  if (final !== undefined && final.state !== 'completed') process.exitCode = EXIT.failed;
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/** One line of progress per step of the conversation, on stderr. */
function progressLine(entry: ConversationEntry, maxRepairs: number): string | undefined {
  switch (entry.kind) {
    case 'reply':
      return `rigmind: ${entry.model ?? 'the model'} replied (${entry.text?.length ?? 0} chars)`;
    case 'invalid':
      return `rigmind: the draft is refused: ${(entry.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ')}`;
    case 'repair':
      return `rigmind: sent back for repair (at most ${maxRepairs})`;
    case 'beyond_local':
      return `rigmind: the model says the goal is beyond the local models: ${entry.text ?? ''}`;
    case 'escalation':
      return `rigmind: escalation: ${entry.code ?? ''} ${entry.text?.slice(0, 200) ?? ''}`;
    case 'model_error':
      return `rigmind: the planning model failed: ${entry.code ?? ''} ${entry.text ?? ''}`;
    default:
      return undefined;
  }
}
