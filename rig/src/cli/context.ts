import type { RigConfig } from '@rigmind/protocol';
import { resolveHome } from '../config/env.js';
import { createRigHome, loadRigConfig, rigHome, rigHomeExists, type RigHome } from '../config/rig-home.js';
import { EXIT } from './exit-codes.js';

/** Thrown by CLI commands for a user error; the entry point prints it and exits with `exitCode`, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  /** With --json: the command already printed its JSON document (e.g. a pending escalation's id), so the error
   * goes to stderr as text and stdout keeps one document. */
  readonly printedJson: boolean;
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
    readonly code = 'cli_error',
    options: { printedJson?: boolean } = {},
  ) {
    super(message);
    this.printedJson = options.printedJson === true;
  }
}

/**
 * How a command uses its home: `run` (brain, worker, up) creates it; `client` (asks a brain) requires it, so a
 * mistyped --home says there is no rig there instead of leaving an empty home behind.
 */
export type HomeUse = 'run' | 'client';

/** The home and config every command starts from. */
export function openHome(flag: string | undefined, use: HomeUse = 'client'): { home: RigHome; config: RigConfig } {
  const home = rigHome(resolveHome(flag));
  if (use === 'run') createRigHome(home);
  else if (!rigHomeExists(home)) {
    const hint = `start one there with 'rigmind --home ${home.dir} up', or give the right --home`;
    throw new CliError(`no rig at ${home.dir} (${hint})`, EXIT.usage, 'no_rig');
  }
  const loaded = loadRigConfig(home);
  if (!loaded.ok) throw new CliError(`${loaded.file}: ${loaded.message}`, EXIT.usage, 'config_invalid');
  return { home, config: loaded.value };
}

/** Print one JSON document. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
