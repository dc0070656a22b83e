import { Command } from 'commander';
import { CliError } from './context.js';

type Register = (program: Command) => void;

/**
 * Every command, loaded when needed. A worker forks a process for every task, and a fork costs in proportion to
 * the parent's memory: a worker that loads only its own command (not the brain, the simulator, the plan parsers)
 * is ~8 MB smaller and forks each task ~0.3 ms sooner.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  brain: async () => (await import('./commands/brain.js')).registerBrain,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  up: async () => (await import('./commands/up.js')).registerUp,
  submit: async () => (await import('./commands/submit.js')).registerSubmit,
  requests: async () => (await import('./commands/requests.js')).registerRequests,
  escalate: async () => (await import('./commands/escalate.js')).registerEscalate,
  simulate: async () => (await import('./commands/simulate.js')).registerSimulate,
};

/** The `rigmind` command line; with `only`, just that command (what a worker process needs). */
export async function buildProgram(only?: 'worker'): Promise<Command> {
  const program = new Command('rigmind')
    .description('orchestrate an air-gapped multi-GPU rig: a brain, its workers, and plans of tasks')
    .option('--home <dir>', 'rig home: config.json, state database, logs (env RIGMIND_HOME, default ~/.rigmind)')
    .showHelpAfterError();
  const names = only === undefined ? Object.keys(COMMANDS) : [only];
  const registers = await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Register>)()));
  for (const register of registers) register(program);
  return program;
}

/** The subcommand named in `argv` (after node and the script, skipping global options), if any. */
export function subcommandOf(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--home') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Run the CLI; user errors print one clear message and set the exit code, never a stack. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    const program = await buildProgram(subcommandOf(argv) === 'worker' ? 'worker' : undefined);
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`rigmind: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  }
}
