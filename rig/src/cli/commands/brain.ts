import type { Command } from 'commander';
import { Brain } from '../../brain/brain.js';
import { createLogger } from '../../log/logger.js';
import { resolvePlan } from '../../plan/resolve-plan.js';
import { Escalator } from '../../escalation/escalator.js';
import { gatewayClientFor } from '../gateway-config.js';
import { openHome } from '../context.js';
import { untilSignal } from '../signals.js';

/** `rigmind brain`: run the brain in the foreground until SIGINT or SIGTERM. */
export function registerBrain(program: Command): void {
  program
    .command('brain')
    .description('run the brain: the state database, the scheduler and the sockets workers and clients talk to')
    .option('--quiet', 'only warnings on the terminal (events still go to logs/brain.log)')
    .action(async (options: { quiet?: boolean }, command: Command) => {
      const { home, config } = openHome(command.optsWithGlobals<{ home?: string }>().home);
      const logger = createLogger({ name: 'brain', logDir: home.logDir, console: true, ...(options.quiet === true ? { consoleLevel: 'warn' } : {}) });
      const gateway = gatewayClientFor(home, config);
      const brain = new Brain({
        home,
        config,
        logger,
        ...(gateway !== undefined ? { escalation: (ctx) => new Escalator(ctx, gateway) } : {}),
        resolvePlan: (plan) => {
          const resolved = resolvePlan(plan);
          return resolved.ok ? { ok: true, tasks: resolved.tasks } : { ok: false, issues: resolved.issues };
        },
      });
      await brain.start();
      logger.info({ router: config.brain.router, pub: config.brain.pub, home: home.dir }, `brain up on ${config.brain.router}`);
      await untilSignal();
      await brain.stop();
    });
}
