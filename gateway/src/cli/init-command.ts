import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../config/default-config.js';
import type { CliIo } from './admin-commands.js';

/** `init`: write a default config.json into the home (never over one) and say what to do next. */
export function init(home: string, io: CliIo): number {
  const path = join(home, 'config.json');
  if (existsSync(path)) {
    io.err(`config_exists: ${path} already exists; init leaves it as it is\n`);
    return 1;
  }
  // The home holds the ledger, the audit chain and perhaps the API key: the gateway's user only.
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(DEFAULT_CONFIG, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  const cli = `rigmind-gateway --home ${home}`;
  io.out(
    `wrote ${path} (every key is explained in docs/gateway.md, Configuration)\n\nNext:\n` +
      `  1. Check models.allowed, budgets and prices in it: the caps are yours to choose.\n` +
      `  2. Put the Anthropic API key in ${join(home, 'anthropic_api_key')} (mode 600),\n` +
      '     or set RIGMIND_GATEWAY_API_KEY.\n' +
      `  3. ${cli} rigs add RIG_NAME   (prints the rig's id and secret, once)\n` +
      `  4. ${cli} serve               (listens on port ${DEFAULT_CONFIG.listen?.port ?? 8787})\n`,
  );
  return 0;
}
