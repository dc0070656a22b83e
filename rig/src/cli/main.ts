import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliError } from './context.js';
import { EXIT } from './exit-codes.js';

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
  ask: async () => (await import('./commands/ask.js')).registerAsk,
  requests: async () => (await import('./commands/requests.js')).registerRequests,
  escalate: async () => (await import('./commands/escalate.js')).registerEscalate,
  simulate: async () => (await import('./commands/simulate.js')).registerSimulate,
};

/** This rigmind's version, from the rig package (the same relative path from src/cli and from dist/cli). */
export function rigVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}

/** The `rigmind` command line; with `only`, just that command (what a worker process needs). */
export async function buildProgram(only?: 'worker', json = false): Promise<Command> {
  const program = new Command('rigmind')
    .description('orchestrate an air-gapped multi-GPU rig: a brain, its workers, and plans of tasks')
    .version(rigVersion(), '-V, --version', "print rigmind's version")
    .option('--home <dir>', 'rig home: config.json, state database, logs (env RIGMIND_HOME, default ~/.rigmind)')
    .showHelpAfterError()
    // Usage errors come back as CommanderErrors (subcommands inherit this), so their exit status is the table's
    // and, with --json, commander's own text is not mixed into the JSON document.
    .exitOverride();
  if (json) program.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
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

/**
 * Run the CLI; user errors print one clear message and set the exit code, never a stack. With --json anywhere on
 * the command line an error is one JSON document on stdout, `{ "error": { "code", "message", "exit" } }`, so a
 * script reading stdout always gets JSON.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const json = argv.slice(2).includes('--json');
  try {
    const program = await buildProgram(subcommandOf(argv) === 'worker' ? 'worker' : undefined, json);
    await program.parseAsync([...argv]);
  } catch (error) {
    const failure = asCliError(error);
    if (failure === undefined) throw error;
    if (failure.exitCode === EXIT.ok) return; // --help, --version: commander printed them
    const document = { error: { code: failure.code, message: failure.message, exit: failure.exitCode } };
    if (json && !failure.printedJson) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    else if (!(error instanceof CommanderError)) process.stderr.write(`rigmind: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}

/** A user error as a CliError: ours as they are, commander's (a bad flag, a missing argument) as usage errors. */
function asCliError(error: unknown): CliError | undefined {
  if (error instanceof CliError) return error;
  if (!(error instanceof CommanderError)) return undefined;
  if (error.exitCode === 0) return new CliError(error.message, EXIT.ok, error.code);
  const message = error.message.replace(/^error: /, '');
  const code = error.code.replace(/^commander\./, '').replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return new CliError(message, EXIT.usage, code);
}
