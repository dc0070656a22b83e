import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Message, MessageKind, MessageOf, Payload, PlanStatus } from '@rigmind/protocol';
import { BrainClient, type ClientFailure } from '../../client/brain-client.js';
import { fetchPlanStatus } from '../../client/plan-status.js';
import { CliError, openHome, printJson } from '../context.js';
import { renderPlanStatus } from '../render-status.js';

/** A refusal or silence as a CliError naming its code (exit 3 when the brain is not there). */
function failure(result: ClientFailure): CliError {
  const lines = result.issues.map(
    (issue) => `  ${issue.line !== undefined ? `line ${issue.line}: ` : ''}${issue.path}: ${issue.message}`,
  );
  const exitCode = result.code === 'brain_unreachable' ? 3 : 1;
  return new CliError([`${result.code}: ${result.message}`, ...lines].join('\n'), exitCode, result.code);
}

/** Run `work` with a client to the brain named by the home's config, told the brain's frame limit. */
async function withClient<T>(command: Command, work: (client: BrainClient) => Promise<T>): Promise<T> {
  const { config } = openHome(command.optsWithGlobals<{ home?: string }>().home);
  const client = new BrainClient(config.brain.router, config.max_frame_bytes);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** Send one request to the brain named by the home's config; a refusal becomes a CliError naming its code. */
export async function ask<K extends MessageKind>(
  command: Command,
  kind: K,
  payload: Payload<K>,
  timeoutMs = 5_000,
): Promise<Message> {
  return withClient(command, async (client) => {
    const result = await client.request(kind, payload, timeoutMs);
    if (!result.ok) throw failure(result);
    return result.value;
  });
}

/**
 * How long `cancel` waits: the brain cancels every task of a plan in one transaction, about 1 s per 10,000 tasks
 * on a busy machine, so 5 s failed on a 100,000-task plan that was in fact canceled.
 */
const CANCEL_TIMEOUT_MS = 120_000;

/** `rigmind status`, `cancel`, `retry`, `logs`: one request each. */
export function registerRequests(program: Command): void {
  program
    .command('status [plan_id]')
    .description('plans and workers; with a plan id, every task of that plan')
    .option('--json', 'print one JSON document')
    .action(async (planId: string | undefined, options: { json?: boolean }, command: Command) => {
      const reply = await withClient(command, async (client) => {
        if (planId === undefined) {
          const result = await client.request('status_request', {});
          if (!result.ok) throw failure(result);
          return result.value as MessageOf<'status_reply'>;
        }
        // Every task of the plan, page by page: one reply for 100,000 tasks would not fit any timeout.
        const result = await fetchPlanStatus(client, planId);
        if (!result.ok) throw failure(result);
        const { status, workers, write_failure } = result.value;
        return { plans: [status], workers, ...(write_failure === undefined ? {} : { write_failure }) };
      });
      if (options.json === true) {
        const health = reply.write_failure !== undefined ? { write_failure: reply.write_failure } : {};
        printJson({ plans: reply.plans, workers: reply.workers, ...health });
        return;
      }
      const broken = reply.write_failure;
      if (broken !== undefined) {
        const { code, since, message } = broken;
        process.stdout.write(`state database NOT WRITABLE (${code} since ${since}): ${message}\n`);
      }
      process.stdout.write(`${renderOverview(reply.plans, reply.workers, planId !== undefined)}\n`);
    });

  program
    .command('cancel <target>')
    .description('cancel a plan (PLAN_ID) or one task and its dependents (TASK_ID)')
    .option('--json', 'print one JSON document')
    .action(async (target: string, options: { json?: boolean }, command: Command) => {
      const reply = (await ask(command, 'cancel_request', { target }, CANCEL_TIMEOUT_MS)) as MessageOf<'ack'>;
      printAck(reply, options.json === true);
    });

  program
    .command('retry <task_id>')
    .description('re-queue a failed task together with the dependents that failed because of it')
    .option('--json', 'print one JSON document')
    .action(async (taskId: string, options: { json?: boolean }, command: Command) => {
      printAck((await ask(command, 'retry_request', { task_id: taskId })) as MessageOf<'ack'>, options.json === true);
    });

  program
    .command('logs <task_id_or_plan_id> [task_name]')
    .description("print a task's stdout and stderr, attempt by attempt: `logs TASK_ID` or `logs PLAN_ID TASK_NAME`")
    .option('--json', 'print one JSON document with the file paths')
    .action(async (idOrPlan: string, name: string | undefined, options: { json?: boolean }, command: Command) => {
      // A task's id is its plan's id, a dot and its name (store.insertPlan), so a name within a plan is enough.
      const taskId = name === undefined ? idOrPlan : `${idOrPlan}.${name}`;
      const reply = (await ask(command, 'logs_request', { task_id: taskId })) as MessageOf<'logs_reply'>;
      if (options.json === true) {
        printJson(reply.attempts);
        return;
      }
      if (reply.attempts.length === 0) process.stdout.write(`${taskId} has not run yet\n`);
      for (const attempt of reply.attempts) {
        process.stdout.write(
          `== attempt ${attempt.attempt} on ${attempt.worker_id ?? '?'}: ${attempt.outcome ?? 'running'}\n`,
        );
        if (attempt.stdout_path === null && attempt.stderr_path === null && attempt.outcome !== null)
          process.stdout.write('(no output)\n');
        for (const [label, path] of [
          ['stdout', attempt.stdout_path],
          ['stderr', attempt.stderr_path],
        ] as const) {
          if (path === null) continue;
          const text = await readFile(path, 'utf8').catch(
            (error: NodeJS.ErrnoException) => `(cannot read ${path}: ${error.code ?? error.message})\n`,
          );
          if (text !== '') process.stdout.write(`-- ${label} (${path})\n${text}${text.endsWith('\n') ? '' : '\n'}`);
        }
      }
    });
}

/** What an action did, for a person or as JSON. */
function printAck(reply: MessageOf<'ack'>, json: boolean): void {
  if (json) printJson({ detail: reply.detail, affected: reply.affected });
  else {
    // A canceled plan of 100,000 tasks is not 100,000 lines for a person: the first ones and a count.
    const shown = reply.affected.slice(0, 50).map((id) => `  ${id}`);
    const more = reply.affected.length - shown.length;
    if (more > 0) shown.push(`  ... and ${more} more (--json lists all)`);
    process.stdout.write(`${reply.detail}\n${shown.join('\n')}\n`);
  }
}

function renderOverview(plans: PlanStatus[], workers: MessageOf<'status_reply'>['workers'], detail: boolean): string {
  const lines: string[] = [];
  if (workers.length > 0) {
    lines.push('workers:');
    for (const worker of workers) {
      const speed = worker.tokens_per_second !== null ? `, ${worker.tokens_per_second.toFixed(1)} tok/s` : '';
      const simulated = worker.simulated ? '  (simulated)' : '';
      lines.push(
        `  ${worker.id.padEnd(12)} ${worker.alive ? 'alive' : 'LOST '} busy ${worker.busy}/${worker.slots}  ` +
          `gpus [${worker.gpus.join(',')}]  ${worker.classes.join(',')}  ` +
          `done ${worker.completed}, failed ${worker.failed}${speed}${simulated}${heldNote(worker.held)}`,
      );
    }
  } else {
    lines.push('workers: none registered');
  }
  if (plans.length === 0) lines.push('plans: none');
  for (const plan of plans) lines.push(renderPlanStatus(plan, detail));
  return lines.join('\n');
}

/** Cards resting after they ran hot: they take no new work until they cool. */
function heldNote(held: MessageOf<'status_reply'>['workers'][number]['held']): string {
  if (held === undefined || held.length === 0) return '';
  const cards = held.map(
    (card) => `gpu ${card.gpu}${card.temperature_c === null ? '' : ` at ${card.temperature_c} C`}`,
  );
  return `  HELD for heat: ${cards.join(', ')}`;
}
