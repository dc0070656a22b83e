import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { gatewayEnv, resolveGatewayHome, type GatewayEnv } from '../config/env.js';
import {
  auditVerify,
  reportAudit,
  reportCost,
  rigsAdd,
  rigsList,
  rigsRevoke,
  rigsRotate,
  status,
  type CliIo,
} from './admin-commands.js';
import { init } from './init-command.js';
import { serve } from './serve-command.js';
import { GatewayDbError } from '../store/open-db.js';
import type { RunningGateway } from '../server.js';

/** What a CLI run ended with; `running` is set by `serve`, which keeps the process alive. */
export interface CliResult {
  readonly code: number;
  readonly running?: RunningGateway;
}

// src/cli and dist/cli sit at the same depth under the package, so one relative path finds package.json from both.
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);
const VERSION = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;

/** Run the `rigmind-gateway` command line on `argv` (without node and script). No process globals are touched. */
export async function runCli(argv: readonly string[], io: CliIo, env: GatewayEnv = gatewayEnv()): Promise<CliResult> {
  let result: CliResult = { code: 0 };
  // With --json, an error is one JSON object carrying its code, so a script reads it as it reads the output.
  const json = argv.includes('--json');
  const fail = (code: string, message: string): void => {
    io.err(json ? `${JSON.stringify({ error: { code, message } })}\n` : `${code}: ${message}\n`);
  };
  const program = new Command('rigmind-gateway')
    .description("rigmind's Raspberry Pi gateway: the rig's only way out to Claude")
    .version(VERSION, '-V, --version', 'print the version')
    .option(
      '--home <dir>',
      'state folder (config.json, gateway.db); default RIGMIND_GATEWAY_HOME or ~/.rigmind-gateway',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const home = (): string => resolveGatewayHome(program.opts<{ home?: string }>().home, env);

  program
    .command('init')
    .description('write a default config.json into the home (never over one) and say what to do next')
    .action(() => {
      result = { code: init(home(), io) };
    });

  program
    .command('serve')
    .description('serve the gateway API')
    .option('--host <host>', 'listen address (overrides config.json)')
    .option('--port <port>', 'listen port (overrides config.json)')
    .action(async (options: { host?: string; port?: string }) => {
      result = await serve(home(), options, env, io);
    });

  const rigs = program.command('rigs').description('manage rig credentials');
  rigs
    .command('add <name>')
    .description('issue a credential (the secret is printed once)')
    .action((name: string) => {
      result = { code: rigsAdd(home(), name, io) };
    });
  rigs
    .command('list')
    .description('list rigs')
    .action(() => {
      result = { code: rigsList(home(), io) };
    });
  rigs
    .command('rotate <name>')
    .description('issue a new secret for a rig, keeping its id (the old secret stops working)')
    .action((name: string) => {
      result = { code: rigsRotate(home(), name, io) };
    });
  rigs
    .command('revoke <name>')
    .description('revoke a rig')
    .action((name: string) => {
      result = { code: rigsRevoke(home(), name, io) };
    });

  program
    .command('status')
    .description('spend today and this month against the caps, per rig; the outbox; the last calls')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      result = { code: status(home(), options, io, fail) };
    });

  program
    .command('audit')
    .description('the audit log')
    .command('verify')
    .description('check the hash chain; exit 1 at the first bad record')
    .action(() => {
      result = { code: auditVerify(home(), io) };
    });

  const report = program.command('report').description('reports');
  report
    .command('cost')
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: first of this month)')
    .option('--to <day>', 'last UTC day, YYYY-MM-DD (default: today)')
    .option('--group-by <key>', 'day, model, rig or task', 'day')
    .option('--format <format>', 'json or csv', 'json')
    .action((options: Record<string, unknown>) => {
      result = { code: reportCost(home(), options, io) };
    });
  report
    .command('audit')
    .option('--from <day>', 'first UTC day')
    .option('--to <day>', 'last UTC day')
    .option('--kind <kind>', 'only records of this kind')
    .option('--limit <n>', 'at most this many records', '1000')
    .action((options: Record<string, unknown>) => {
      result = { code: reportAudit(home(), options, io) };
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode };
    if (error instanceof GatewayDbError) {
      fail(error.code, error.message);
      return { code: 1 };
    }
    throw error;
  }
  return result;
}
