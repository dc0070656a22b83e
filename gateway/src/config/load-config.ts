import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { toIssues, type ProtocolIssue } from '@rigmind/protocol';
import { GatewayConfigSchema, type GatewayConfig } from './config-schema.js';
import type { GatewayEnv } from './env.js';

/** A config that could not be loaded, as a value. */
export interface ConfigProblem {
  readonly code: 'config_missing' | 'config_invalid_json' | 'config_invalid' | 'api_key_missing';
  readonly message: string;
  readonly issues: readonly ProtocolIssue[];
}

/** A loaded config or why not. */
export type ConfigResult = { readonly ok: true; readonly config: GatewayConfig } | { readonly ok: false; readonly problem: ConfigProblem };

/** Parse config JSON text (from `<home>/config.json`). */
export function parseConfig(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: { code: 'config_invalid_json', message: `config.json is not JSON: ${(error as Error).message}`, issues: [] } };
  }
  const parsed = GatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = toIssues(parsed.error);
    const first = issues[0];
    return { ok: false, problem: { code: 'config_invalid', message: `config.json is invalid${first ? `: ${first.path}: ${first.message}` : ''}`, issues } };
  }
  return { ok: true, config: parsed.data };
}

/** Read and validate `<home>/config.json`. */
export function loadConfig(home: string): ConfigResult {
  const path = join(home, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const how = missing ? `; write one with: rigmind-gateway --home ${home} init` : '';
    const message = `cannot read ${path}: ${(error as Error).message}${how}`;
    return { ok: false, problem: { code: 'config_missing', message, issues: [] } };
  }
  return parseConfig(text);
}

/**
 * The Anthropic API key: from the configured file, else RIGMIND_GATEWAY_API_KEY. A relative file path is taken from
 * systemd's CREDENTIALS_DIRECTORY when the unit loaded one (LoadCredential=), else from the gateway's home, never
 * from whatever folder the command was started in.
 */
export function resolveApiKey(
  config: GatewayConfig, env: GatewayEnv, home: string,
): { ok: true; apiKey: string } | { ok: false; problem: ConfigProblem } {
  const file = config.upstream.api_key_file;
  if (file !== undefined) {
    const path = isAbsolute(file) ? file : join(env.CREDENTIALS_DIRECTORY ?? home, file);
    try {
      const key = readFileSync(path, 'utf8').trim();
      if (key !== '') return { ok: true, apiKey: key };
    } catch (error) {
      return { ok: false, problem: { code: 'api_key_missing', message: `cannot read the API key file ${path}: ${(error as Error).message}`, issues: [] } };
    }
  }
  if (env.RIGMIND_GATEWAY_API_KEY !== undefined) return { ok: true, apiKey: env.RIGMIND_GATEWAY_API_KEY };
  const where = file === undefined ? 'set upstream.api_key_file in config.json' : `the file ${file} is empty`;
  const message = `no API key: ${where}, or set RIGMIND_GATEWAY_API_KEY`;
  return { ok: false, problem: { code: 'api_key_missing', message, issues: [] } };
}
