import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  EscalationRequestSchema,
  systemRuntime,
  toIssues,
  type EscalationRequest,
  type EscalationResponse,
  type MessageOf,
  type Runtime,
} from '@rigmind/protocol';
import type { GatewayClient, GatewayResult } from '../../escalation/gateway-client.js';
import { CliError, openHome, printJson } from '../context.js';
import { gatewayClientFor } from '../gateway-config.js';
import { ask } from './requests.js';

/** Sends of one request before giving up on an unreachable or overloaded gateway (same key each time). */
const SENDS = 3;
/** Exit status when the gateway has not settled the escalation yet (unreachable, or still pending). */
const NOT_SETTLED = 3;

interface EscalateOptions {
  readonly file?: string;
  readonly id?: string;
  readonly withdraw?: string;
  readonly idempotencyKey?: string;
  readonly wait?: string;
  readonly json?: boolean;
}

/**
 * `rigmind escalate TASK_ID` (through the brain), `rigmind escalate --file REQUEST.json` (one request straight to
 * the gateway), `rigmind escalate --id ESCALATION_ID` (follow one the gateway accepted) and `--withdraw ESCALATION_ID`.
 */
export function registerEscalate(program: Command): void {
  program
    .command('escalate [task_id]')
    .description(
      'hand a task to the external tier through the brain; or send one request file straight to the gateway, ' +
        'or follow one it accepted, and print the advice',
    )
    .option('--file <request>', 'an EscalationRequest JSON file, sent to the gateway directly (nothing is dispatched)')
    .option(
      '--id <escalation_id>',
      'follow an escalation the gateway already accepted (printed when one is still pending)',
    )
    .option(
      '--withdraw <escalation_id>',
      'withdraw an escalation still waiting at the gateway, so it is never delivered or paid for',
    )
    .option(
      '--idempotency-key <key>',
      'with --file: send under this key (printed when a send was not settled), so a resend cannot pay twice',
    )
    .option('--wait <seconds>', 'with --file or --id: how long to follow an escalation the gateway defers (default 30)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExit status with --file, --id or --withdraw: 0 done (advice printed, or withdrawn), ' +
        `1 refused, failed or already settled, ${NOT_SETTLED} not settled yet ` +
        '(gateway unreachable, busy, or still pending).',
    )
    .action(async (taskId: string | undefined, options: EscalateOptions, command: Command) => {
      const modes = [taskId, options.file, options.id, options.withdraw].filter((mode) => mode !== undefined).length;
      if (modes !== 1)
        throw new CliError('give one of TASK_ID, --file REQUEST.json, --id ESCALATION_ID or --withdraw ESCALATION_ID');
      if (options.idempotencyKey !== undefined && options.file === undefined)
        throw new CliError('--idempotency-key goes with --file');
      if (options.wait !== undefined && options.file === undefined && options.id === undefined)
        throw new CliError('--wait goes with --file or --id (follow a task with rigmind status)');
      const waitS = seconds(options.wait ?? '30');
      if (taskId !== undefined) {
        const reply = (await ask(command, 'escalate_request', { task_id: taskId })) as MessageOf<'ack'>;
        if (options.json === true) {
          printJson({ detail: reply.detail, affected: reply.affected });
          return;
        }
        const [task, ...reopened] = reply.affected;
        const also = reopened.length === 0 ? '' : ` (reopened with it: ${reopened.join(', ')})`;
        process.stdout.write(`${reply.detail}: ${task ?? taskId}${also}; follow it with rigmind status\n`);
        return;
      }
      const { home, config } = openHome(command.optsWithGlobals<{ home?: string }>().home);
      const client = gatewayClientFor(home, config, onClockSkew, waitS * 1000);
      if (client === undefined)
        throw new CliError(`${home.configPath}: no gateway configured (escalation.gateway_url)`);
      if (options.id !== undefined) {
        report(await client.poll(options.id), options.json === true);
        return;
      }
      if (options.withdraw !== undefined) {
        const withdrawn = await client.withdraw(options.withdraw);
        if (options.json === true) printJson(withdrawn);
        else if (withdrawn.outcome === 'withdrawn')
          process.stdout.write(`${withdrawn.message}: it will not be delivered\n`);
        if (withdrawn.outcome === 'withdrawn') return;
        const exit = withdrawn.outcome === 'later' ? NOT_SETTLED : 1;
        const printedJson = options.json === true;
        throw new CliError(`${withdrawn.outcome}: ${withdrawn.message}`, exit, withdrawn.outcome, { printedJson });
      }
      const file = options.file as string;
      const request = await readRequest(file, options.idempotencyKey, systemRuntime);
      const result = await send(client, request, systemRuntime);
      if (!result.ok && result.retryable && result.escalationId === undefined) {
        const key = request.idempotency_key as string;
        throw new CliError(
          `${result.code}: ${result.message}\nnot settled; to resend without paying twice, use the same key:\n` +
            `  rigmind escalate --file ${file} --idempotency-key ${key}`,
          NOT_SETTLED,
          result.code,
        );
      }
      report(result, options.json === true);
    });
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new CliError(`--wait: '${value}' is not a number of seconds`);
  return n;
}

function onClockSkew(skewMs: number): void {
  if (skewMs !== 0)
    process.stderr.write(
      `warning: this machine's clock is ${Math.round(skewMs / 1000)} s off from the gateway's; ` +
        "signed with the gateway's time\n",
    );
}

/**
 * The request file, validated, under an idempotency key: the file's or `--idempotency-key` (they must agree),
 * else a new one, so this command's own resends (and a person's, with the key it prints) find the escalation
 * already made.
 */
async function readRequest(
  file: string,
  key: string | undefined,
  runtime: Pick<Runtime, 'id'>,
): Promise<EscalationRequest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  const parsed = EscalationRequestSchema.safeParse(raw);
  if (!parsed.success)
    throw new CliError(
      `${file}: ${toIssues(parsed.error)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ')}`,
    );
  const inFile = parsed.data.idempotency_key;
  if (key !== undefined && inFile !== undefined && key !== inFile) {
    throw new CliError(`${file}: idempotency_key is '${inFile}', but --idempotency-key gives '${key}'`);
  }
  if (inFile !== undefined) return parsed.data;
  // The file parsed as an object; the key is added to it as written, not to the parsed (defaulted) form.
  const keyed = EscalationRequestSchema.safeParse({
    ...(raw as Record<string, unknown>),
    idempotency_key: key ?? `cli-${runtime.id()}`,
  });
  if (!keyed.success)
    throw new CliError(
      `--idempotency-key: ${toIssues(keyed.error)
        .map((issue) => issue.message)
        .join('; ')}`,
    );
  return keyed.data;
}

/** Send, and send again (same key) while the gateway is unreachable or overloaded, a bounded number of times. */
async function send(
  client: GatewayClient,
  request: EscalationRequest,
  runtime: Pick<Runtime, 'sleep'>,
): Promise<GatewayResult> {
  let result = await client.escalate(request);
  for (let sent = 1; sent < SENDS && !result.ok && result.retryable && result.escalationId === undefined; sent += 1) {
    const waitMs = result.retryAfterMs ?? 1_000 * 2 ** (sent - 1);
    process.stderr.write(
      `${result.code}: ${result.message}; sending again in ${Math.ceil(waitMs / 1000)} s under the same key\n`,
    );
    await runtime.sleep(waitMs);
    result = await client.escalate(request);
  }
  return result;
}

/** Print the advice (or what the gateway said), exiting non-zero unless advice came back. */
function report(result: GatewayResult, json: boolean): void {
  if (!result.ok) {
    if (result.code === 'timeout' && result.escalationId !== undefined) {
      if (json) printJson({ id: result.escalationId, state: 'pending' });
      const next =
        result.retryAfterMs === undefined
          ? ''
          : ` (its next try upstream is in about ${Math.round(result.retryAfterMs / 1000)} s)`;
      throw new CliError(
        `escalation ${result.escalationId} is still pending at the gateway${next}; follow it with:\n` +
          `  rigmind escalate --id ${result.escalationId}`,
        NOT_SETTLED,
        'pending',
        { printedJson: json },
      );
    }
    throw new CliError(`${result.code}: ${result.message}`, result.retryable ? NOT_SETTLED : 1, result.code);
  }
  if (json) {
    printJson(result.value.response);
    return;
  }
  process.stdout.write(renderAdvice(result.value.response));
}

function renderAdvice(response: EscalationResponse): string {
  const advice = response.advice;
  if (advice === undefined) return `escalation ${response.id}: ${response.state}\n`;
  if (advice.type === 'answer') return `${advice.text}\n`;
  if (advice.type === 'decline') return `declined: ${advice.reason}\n`;
  const tasks = advice.tasks.map((task) => `  ${task.name}: ${task.command ?? task.prompt ?? ''}`).join('\n');
  return `proposed subtasks (not dispatched: only the brain dispatches):\n${tasks}\n`;
}
