import { isAbsolute, join } from 'node:path';
import { Option, type Command } from 'commander';
import { ok, systemRuntime, type RigConfig, type RigProfile } from '@rigmind/protocol';
import type { RigHome } from '../../config/rig-home.js';
import { Brain } from '../../brain/brain.js';
import { createLogger } from '../../log/logger.js';
import { PlanCheck } from '../../plan/plan-check.js';
import { planFailure } from '../../plan/plan-result.js';
import { resolvePlan } from '../../plan/resolve-plan.js';
import { Escalator } from '../../escalation/escalator.js';
import { Judge, judgeClient } from '../../judge/judge.js';
import { gatewayClientFor } from '../gateway-config.js';
import { CliError, openHome } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { BRAIN_READY, untilSignal } from '../signals.js';
import { loadRigProfile } from '../../sim/scenario.js';
import { lockHome, type HomeLock } from '../../store/home-lock.js';

/** The home for this brain alone, or a CliError naming the brain that holds it. */
function lockOrExplain(runDir: string, homeDir: string): HomeLock {
  const locked = lockHome(runDir);
  if (locked.ok) return locked.value;
  if (locked.code === 'home_locked') {
    const holder = locked.pid === undefined ? 'pid unknown' : `pid ${locked.pid}`;
    throw new CliError(`another brain (${holder}) holds ${homeDir}`, EXIT.busy, locked.code);
  }
  throw new CliError(locked.message, EXIT.busy, locked.code);
}

/** A bind that failed because the address is taken, as a one-line CliError; anything else is not ours to explain. */
function explainBindError(error: unknown): unknown {
  const { code, address } = error as { code?: unknown; address?: unknown };
  if (code !== 'EADDRINUSE') return error;
  const where = typeof address === 'string' ? address : 'the brain address';
  const hint = 'another process listens there; set brain.router and brain.pub in config.json';
  return new CliError(`address in use: ${where} (${hint})`, EXIT.busy, 'address_in_use');
}

/** `rigmind brain`: run the brain in the foreground until SIGINT or SIGTERM. */
export function registerBrain(program: Command): void {
  program
    .command('brain')
    .description('run the brain: the state database, the scheduler and the sockets workers and clients talk to')
    .option('--quiet', 'only warnings on the terminal (events still go to logs/brain.log)')
    .option(
      '--profile <file>',
      "rig profile for the swap-aware scheduler's model sizes and load times (default: config scheduler.rig_profile)",
    )
    .option(
      '--time-scale <x>',
      "wall seconds per rig second for the scheduler's clock (a simulated rig: `up --simulate` sets it)",
    )
    .addOption(
      new Option('--policy <name>', 'GPU scheduling policy (default: config scheduler.policy, swap-aware)').choices([
        'swap-aware',
        'naive',
      ]),
    )
    .action(
      async (
        options: { quiet?: boolean; profile?: string; policy?: 'swap-aware' | 'naive'; timeScale?: string },
        command: Command,
      ) => {
        const timeScale = options.timeScale === undefined ? 1 : Number(options.timeScale);
        if (!(timeScale > 0 && timeScale <= 1))
          throw new CliError(`--time-scale: '${options.timeScale ?? ''}' is not a number above 0 and at most 1`);
        const opened = openHome(command.optsWithGlobals<{ home?: string }>().home, 'run');
        const { home } = opened;
        const config =
          options.policy === undefined
            ? opened.config
            : { ...opened.config, scheduler: { ...opened.config.scheduler, policy: options.policy } };
        const profilePath =
          options.profile ??
          (config.scheduler.rig_profile === undefined
            ? undefined
            : isAbsolute(config.scheduler.rig_profile)
              ? config.scheduler.rig_profile
              : join(home.dir, config.scheduler.rig_profile));
        let profile: RigProfile | undefined;
        if (profilePath !== undefined) {
          const loaded = await loadRigProfile(profilePath);
          if (!loaded.ok) throw new CliError(loaded.message);
          profile = loaded.value;
        }
        // Before the state database is opened: two brains on one home would both write it.
        const lock = lockOrExplain(home.runDir, home.dir);
        try {
          await runBrain(home, config, profile, timeScale, options.quiet === true);
        } finally {
          lock.release();
        }
      },
    );
}

/** Start the brain, tell `up` (if it started us) that it is ready, and run until SIGINT or SIGTERM. */
async function runBrain(
  home: RigHome,
  config: RigConfig,
  profile: RigProfile | undefined,
  timeScale: number,
  quiet: boolean,
): Promise<void> {
  const logger = createLogger({
    name: 'brain',
    logDir: home.logDir,
    console: true,
    ...(quiet ? { consoleLevel: 'warn' } : {}),
  });
  const gateway = gatewayClientFor(home, config, (skewMs) => {
    if (skewMs === 0) logger.info('the rig clock agrees with the gateway again; signing with it');
    else
      logger.warn(
        { skew_s: Math.round(skewMs / 1000) },
        "the rig clock is off from the gateway's: signing escalations with the gateway's time (set up time sync, " +
          'docs/rig.md)',
      );
  });
  const brain = new Brain({
    runtime: systemRuntime,
    home,
    config,
    logger,
    profile,
    timeScale,
    ...(gateway !== undefined ? { escalation: (ctx) => new Escalator(ctx, gateway) } : {}),
    ...(config.judge.enabled ? { judge: (ctx) => new Judge(ctx, judgeClient(config, systemRuntime)) } : {}),
    resolvePlan: (plan) => {
      const resolved = resolvePlan(plan);
      // Only the tasks cross: the brain stores them and has no use for the auto-fixes a person is told about.
      return resolved.ok ? ok(resolved.value.tasks) : resolved;
    },
    checkPlan: (defaults) => {
      const check = new PlanCheck(defaults);
      return {
        get size() {
          return check.size;
        },
        add: (tasks) => check.add(tasks),
        finish: () => {
          const { issues, tasks } = check.finish();
          return issues.length > 0 ? planFailure('invalid_plan', issues) : ok(tasks);
        },
      };
    },
  });
  try {
    await brain.start();
  } catch (error) {
    await brain.stop().catch(() => undefined);
    throw explainBindError(error);
  }
  // `up` starts its workers only after this, so they never attach to another brain listening on the same address.
  if (process.send !== undefined) {
    process.send({ kind: BRAIN_READY, pid: process.pid });
    process.channel?.unref();
  }
  logger.info(
    {
      router: config.brain.router,
      pub: config.brain.pub,
      home: home.dir,
      policy: config.scheduler.policy,
      profile: profile?.name ?? null,
    },
    `brain up on ${config.brain.router}, scheduling GPU work ` +
      `${config.scheduler.policy}${profile !== undefined ? ` with profile '${profile.name}'` : ''}`,
  );
  await untilSignal();
  await brain.stop();
}
