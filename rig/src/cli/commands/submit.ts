import type { Command } from 'commander';
import type { MessageOf, PlanStatus } from '@rigmind/protocol';
import { BrainClient } from '../../client/brain-client.js';
import { submitPlan } from '../../client/upload-plan.js';
import { subscribeEvents, waitForPlan } from '../../client/wait-plan.js';
import { formatPlanIssues } from '../../plan/format-issues.js';
import { loadPlanFile } from '../../plan/load-plan-file.js';
import { resolvePlan } from '../../plan/resolve-plan.js';
import { CliError, openHome, printJson } from '../context.js';
import { Progress } from '../progress.js';
import { renderPlanStatus } from '../render-status.js';

/** Load and check a plan file locally (with line numbers), then submit it; optionally wait for the end. */
export async function submitPlanFile(
  endpoints: { router: string; pub: string },
  file: string,
  options: { wait: boolean; json: boolean; source?: string; maxFrameBytes?: number },
): Promise<{ accepted: MessageOf<'plan_accepted'>; final?: PlanStatus }> {
  const loaded = await loadPlanFile(file);
  if (!loaded.ok) throw new CliError(formatPlanIssues(loaded.issues, file).join('\n'), 1, 'plan_invalid');
  // Checked here too so that errors name lines of the file; the brain checks again, as it must for any client.
  const resolved = resolvePlan(loaded.value.plan, { lines: loaded.value.lines, file });
  if (!resolved.ok) throw new CliError(formatPlanIssues(resolved.issues, file).join('\n'), 1, 'plan_invalid');
  // Told the brain's frame limit, the client sends chunks under it, and refuses a task too large for one here.
  const client = new BrainClient(endpoints.router, options.maxFrameBytes);
  // Subscribed before the submit: a task that fails within milliseconds is then shown as it happens.
  const events = options.wait ? subscribeEvents(endpoints.pub) : undefined;
  try {
    // A quick round trip first, so that a missing brain is reported in seconds, not after the long submit timeout.
    const ping = await client.reachable();
    if (!ping.ok && ping.code === 'brain_unreachable')
      throw new CliError(`${ping.code}: ${ping.message}`, 3, ping.code);
    // A large plan goes up in chunks (each under the frame limit), and the wait for its answer grows with it.
    const result = await submitPlan(client, loaded.value.plan, {
      source: options.source ?? `cli:${file}`,
      maxFrameBytes: options.maxFrameBytes,
    });
    if (!result.ok) {
      const lines = result.issues.map((issue) => `  ${issue.path}: ${issue.message}`);
      throw new CliError(
        [`${result.code}: ${result.message}`, ...lines].join('\n'),
        result.code === 'brain_unreachable' ? 3 : 1,
        result.code,
      );
    }
    const accepted = result.value as MessageOf<'plan_accepted'>;
    if (events === undefined) return { accepted };
    const progress = options.json ? undefined : new Progress();
    if (progress !== undefined)
      process.stderr.write(`submitted ${accepted.plan_id} (${accepted.tasks.length} tasks)\n`);
    const final = await waitForPlan(client, events, accepted.plan_id, {
      onEvent: (event) => progress?.event(event),
      onStatus: (status) => progress?.status(status),
    });
    progress?.settle(final);
    progress?.finish();
    return { accepted, final };
  } finally {
    events?.close();
    await client.close();
  }
}

/** `rigmind submit PLAN [--wait] [--json]`. */
export function registerSubmit(program: Command): void {
  program
    .command('submit <plan>')
    .description('submit a plan (plan.json, plan.yaml or plan.md); with --wait, follow it to the end')
    .option('--wait', 'show progress and exit 0 only if every task completed')
    .option('--json', 'print one JSON document')
    .action(async (file: string, options: { wait?: boolean; json?: boolean }, command: Command) => {
      const { config } = openHome(command.optsWithGlobals<{ home?: string }>().home);
      const flags = { wait: options.wait === true, json: options.json === true, maxFrameBytes: config.max_frame_bytes };
      const { accepted, final } = await submitPlanFile(config.brain, file, flags);
      if (options.json === true) {
        printJson(final ?? { plan_id: accepted.plan_id, tasks: accepted.tasks });
      } else if (final !== undefined) {
        process.stdout.write(`${renderPlanStatus(final, true)}\n`);
      } else {
        process.stdout.write(`accepted ${accepted.plan_id} (${accepted.tasks.length} tasks)\n`);
        for (const task of accepted.tasks.filter((t) => t.fix_applied !== undefined))
          process.stdout.write(`  fix on ${task.name}: ${task.fix_applied}\n`);
      }
      if (final !== undefined && final.state !== 'completed') process.exitCode = 1;
    });
}
