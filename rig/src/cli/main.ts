import { Command } from 'commander';
import { registerBrain } from './commands/brain.js';
import { registerEscalate } from './commands/escalate.js';
import { registerRequests } from './commands/requests.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSubmit } from './commands/submit.js';
import { registerUp } from './commands/up.js';
import { registerWorker } from './commands/worker.js';
import { CliError } from './context.js';

/** The `rigmind` command line. */
export function buildProgram(): Command {
  const program = new Command('rigmind')
    .description('orchestrate an air-gapped multi-GPU rig: a brain, its workers, and plans of tasks')
    .option('--home <dir>', 'rig home: config.json, state database, logs (env RIGMIND_HOME, default ~/.rigmind)')
    .showHelpAfterError();
  registerBrain(program);
  registerWorker(program);
  registerUp(program);
  registerSubmit(program);
  registerRequests(program);
  registerEscalate(program);
  registerSimulate(program);
  return program;
}

/** Run the CLI; user errors print one clear message and set the exit code, never a stack. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`rigmind: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  }
}
