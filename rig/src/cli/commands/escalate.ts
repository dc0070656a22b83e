import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EscalationRequestSchema, toIssues, type MessageOf } from '@rigmind/protocol';
import { CliError, openHome, printJson } from '../context.js';
import { gatewayClientFor } from '../gateway-config.js';
import { ask } from './requests.js';

/** `rigmind escalate TASK_ID` (through the brain) and `rigmind escalate --file REQUEST.json` (straight to the gateway). */
export function registerEscalate(program: Command): void {
  program
    .command('escalate [task_id]')
    .description('escalate a task to the external tier through the brain, or send one request file to the gateway and print the advice')
    .option('--file <request>', 'an EscalationRequest JSON file, sent to the gateway directly')
    .option('--json', 'print one JSON document')
    .action(async (taskId: string | undefined, options: { file?: string; json?: boolean }, command: Command) => {
      if (options.file === undefined) {
        if (taskId === undefined) throw new CliError('give a TASK_ID, or --file REQUEST.json');
        const reply = (await ask(command, 'escalate_request', { task_id: taskId })) as MessageOf<'ack'>;
        if (options.json === true) printJson({ detail: reply.detail, affected: reply.affected });
        else process.stdout.write(`${reply.detail}: ${reply.affected.join(', ')} (follow it with rigmind status)\n`);
        return;
      }
      const { home, config } = openHome(command.optsWithGlobals<{ home?: string }>().home);
      const client = gatewayClientFor(home, config, (skewMs) => {
        if (skewMs !== 0) process.stderr.write(`warning: this machine's clock is ${Math.round(skewMs / 1000)} s off from the gateway's; signed with the gateway's time\n`);
      });
      if (client === undefined) throw new CliError(`${home.configPath}: no gateway configured (escalation.gateway_url)`);
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(options.file, 'utf8'));
      } catch (error) {
        throw new CliError(`${options.file}: ${(error as Error).message}`);
      }
      const parsed = EscalationRequestSchema.safeParse(raw);
      if (!parsed.success) throw new CliError(`${options.file}: ${toIssues(parsed.error).map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
      const result = await client.escalate(parsed.data);
      if (!result.ok) throw new CliError(`${result.code}: ${result.message}`, 1, result.code);
      if (options.json === true) {
        printJson(result.response);
        return;
      }
      const advice = result.response.advice;
      if (advice === undefined) process.stdout.write(`escalation ${result.response.id}: ${result.response.state}\n`);
      else if (advice.type === 'answer') process.stdout.write(`${advice.text}\n`);
      else if (advice.type === 'decline') process.stdout.write(`declined: ${advice.reason}\n`);
      else process.stdout.write(`proposed subtasks (not dispatched: only the brain dispatches):\n${advice.tasks.map((task) => `  ${task.name}: ${task.command ?? task.prompt ?? ''}`).join('\n')}\n`);
    });
}
