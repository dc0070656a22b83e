import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The environment variables the gateway reads, validated once. */
export const GatewayEnvSchema = z.object({
  RIGMIND_GATEWAY_HOME: z.string().min(1).optional(),
  /** The Anthropic API key. A file named by `upstream.api_key_file` in config.json takes precedence. */
  RIGMIND_GATEWAY_API_KEY: z.string().min(1).optional(),
  RIGMIND_GATEWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** systemd's LoadCredential= folder, where an API key file can live outside the state folder. */
  CREDENTIALS_DIRECTORY: z.string().min(1).optional(),
});
/** The gateway's environment. */
export type GatewayEnv = z.infer<typeof GatewayEnvSchema>;

let cached: GatewayEnv | undefined;

/** The process environment, parsed the first time it is asked for; the one place the gateway reads `process.env`. */
export function gatewayEnv(): GatewayEnv {
  cached ??= GatewayEnvSchema.parse(process.env);
  return cached;
}

/** The state folder: `--home`, else RIGMIND_GATEWAY_HOME, else ~/.rigmind-gateway. */
export function resolveGatewayHome(flag: string | undefined, env: GatewayEnv = gatewayEnv()): string {
  return flag ?? env.RIGMIND_GATEWAY_HOME ?? join(homedir(), '.rigmind-gateway');
}
