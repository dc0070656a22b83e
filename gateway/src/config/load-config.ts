import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { err, ok, toIssues, type Err, type ProtocolIssue, type Result } from '@rigmind/protocol';
import { GatewayConfigSchema, type GatewayConfig } from './config-schema.js';
import type { GatewayEnv } from './env.js';

/** Why the gateway cannot start from its home: no config, config that is no JSON or breaks the schema, no API key. */
export type ConfigErrorCode = 'config_missing' | 'config_invalid_json' | 'config_invalid' | 'api_key_missing';

/** What a config failure carries: the schema's issues (empty unless `config_invalid`). */
export interface ConfigIssues {
  readonly issues: readonly ProtocolIssue[];
}

/** A config that could not be loaded, as a value. */
export type ConfigProblem = Err<ConfigErrorCode, ConfigIssues>;

/** A loaded config or why not. */
export type ConfigResult = Result<GatewayConfig, ConfigErrorCode, ConfigIssues>;

/** The API key, or why there is none (`api_key_missing`). */
export type ApiKeyResult = Result<string, 'api_key_missing', ConfigIssues>;

/** Parse config JSON text (from `<home>/config.json`). */
export function parseConfig(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return err('config_invalid_json', `config.json is not JSON: ${(error as Error).message}`, { issues: [] });
  }
  const parsed = GatewayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = toIssues(parsed.error);
    const first = issues[0];
    return err('config_invalid', `config.json is invalid${first ? `: ${first.path}: ${first.message}` : ''}`, {
      issues,
    });
  }
  return ok(parsed.data);
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
    return err('config_missing', message, { issues: [] });
  }
  return parseConfig(text);
}

/**
 * The Anthropic API key: from the configured file, else RIGMIND_GATEWAY_API_KEY. A relative file path is taken from
 * systemd's CREDENTIALS_DIRECTORY when the unit loaded one (LoadCredential=), else from the gateway's home, never
 * from whatever folder the command was started in.
 */
export function resolveApiKey(config: GatewayConfig, env: GatewayEnv, home: string): ApiKeyResult {
  const file = config.upstream.api_key_file;
  if (file !== undefined) {
    const path = isAbsolute(file) ? file : join(env.CREDENTIALS_DIRECTORY ?? home, file);
    try {
      const key = readFileSync(path, 'utf8').trim();
      if (key !== '') return ok(key);
    } catch (error) {
      return err('api_key_missing', `cannot read the API key file ${path}: ${(error as Error).message}`, {
        issues: [],
      });
    }
  }
  if (env.RIGMIND_GATEWAY_API_KEY !== undefined) return ok(env.RIGMIND_GATEWAY_API_KEY);
  const where = file === undefined ? 'set upstream.api_key_file in config.json' : `the file ${file} is empty`;
  const message = `no API key: ${where}, or set RIGMIND_GATEWAY_API_KEY`;
  return err('api_key_missing', message, { issues: [] });
}
