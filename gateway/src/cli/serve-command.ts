import type { GatewayEnv } from '../config/env.js';
import { loadConfig, resolveApiKey } from '../config/load-config.js';
import { createGateway } from '../gateway.js';
import { createGatewayLogger } from '../log/logger.js';
import { listenGateway, type RunningGateway } from '../server.js';
import type { CliIo } from './admin-commands.js';

/** Options of `serve`. */
export interface ServeOptions {
  readonly host?: string;
  readonly port?: string;
}

/** `serve`: load and check the config, then listen; the caller keeps `running` until SIGINT or SIGTERM. */
export async function serve(
  home: string,
  options: ServeOptions,
  env: GatewayEnv,
  io: CliIo,
): Promise<{ code: number; running?: RunningGateway }> {
  const loaded = loadConfig(home);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n${loaded.issues.map((issue) => `  ${issue.path}: ${issue.message}\n`).join('')}`);
    return { code: 2 };
  }
  const key = resolveApiKey(loaded.value, env, home);
  if (!key.ok) {
    io.err(`${key.message}\n`);
    return { code: 2 };
  }
  const host = options.host ?? loaded.value.listen.host;
  const port = options.port === undefined ? loaded.value.listen.port : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.err(`--port must be a whole number from 0 to 65535\n`);
    return { code: 2 };
  }
  const logger = createGatewayLogger({ level: env.RIGMIND_GATEWAY_LOG_LEVEL ?? 'info' });
  const gateway = createGateway({ home, config: loaded.value, apiKey: key.value, logger, runtime: io.runtime });
  gateway.audit.append('admin', 'cli', { action: 'serve', upstream: loaded.value.upstream.base_url });
  try {
    const running = await listenGateway(gateway, host, port);
    io.out(`rigmind gateway listening on ${running.url}\n`);
    return { code: 0, running };
  } catch (error) {
    await gateway.close();
    // A port taken or an address this machine does not have is the operator's to fix: one line, no stack trace.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      const reasons = {
        EADDRINUSE: 'address already in use',
        EACCES: 'permission denied',
        EADDRNOTAVAIL: 'address not available',
      };
      const reason = reasons[code];
      io.err(`cannot listen on ${host}:${port}: ${reason} (${code})\n`);
      return { code: 1 };
    }
    throw error;
  }
}
