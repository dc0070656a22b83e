import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { systemRuntime, type RigConfig } from '@rigmind/protocol';
import type { RigHome } from '../config/rig-home.js';
import { GatewayClient } from '../escalation/gateway-client.js';
import { CliError } from './context.js';

/**
 * The gateway client from config.json, or undefined when no gateway is configured. A half-configured one is an
 * error. `onClockSkew` hears when the rig's clock is found off from the gateway's (an air-gapped rig may have no
 * time sync) and the client signs with the gateway's. `pollTimeoutMs`: how long an escalation the gateway defers is
 * followed.
 */
export function gatewayClientFor(
  home: RigHome,
  config: RigConfig,
  onClockSkew?: (skewMs: number) => void,
  pollTimeoutMs = 30_000,
): GatewayClient | undefined {
  const { gateway_url: url, rig_id: rigId, secret_file: secretFile } = config.escalation;
  if (url === undefined) return undefined;
  if (rigId === undefined)
    throw new CliError(
      `${home.configPath}: escalation.rig_id is required with escalation.gateway_url (the id printed by ` +
        `'rigmind-gateway rigs add')`,
    );
  const path = resolve(home.dir, secretFile);
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new CliError(
      `${home.configPath}: escalation.secret_file ${path}: ` +
        `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (secret === '') throw new CliError(`escalation.secret_file ${path} is empty`);
  return new GatewayClient({
    baseUrl: url,
    rigId,
    secret,
    runtime: systemRuntime,
    pollIntervalMs: 1_000,
    pollTimeoutMs,
    requestTimeoutMs: 120_000,
    ...(onClockSkew === undefined ? {} : { onClockSkew }),
  });
}
