import type { RigConfig } from '@rigmind/protocol';
import { resolveHome } from '../config/env.js';
import { loadRigConfig, rigHome, type RigHome } from '../config/rig-home.js';

/** Thrown by CLI commands for a user error; the entry point prints it and exits with `exitCode`, no stack. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
    readonly code = 'cli_error',
  ) {
    super(message);
  }
}

/** The home and config every command starts from. */
export function openHome(flag: string | undefined): { home: RigHome; config: RigConfig } {
  const home = rigHome(resolveHome(flag));
  const loaded = loadRigConfig(home);
  if (!loaded.ok) throw new CliError(`${loaded.problem.file}: ${loaded.problem.message}`);
  return { home, config: loaded.config };
}

/** Print one JSON document. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
