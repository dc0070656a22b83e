import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EscalationResponseSchema, signRequest } from '@rigmind/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicStub, type AnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import { escalationBody, testConfig } from '../gateway-harness.js';

// The gateway as it is deployed: the `rigmind-gateway` command in its own process, its config and API key read
// from files, stopped by a signal. RIGMIND_TEST_GATEWAY_CLI=dist runs the compiled build with the systemd unit's
// node flags instead of the TypeScript source (after `npx tsc -b gateway`; .ci/arm64-gateway does that), and
// RIGMIND_TEST_TIMEOUT_SCALE multiplies the time each test is given.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fromDist = process.env.RIGMIND_TEST_GATEWAY_CLI === 'dist';
// Each test starts several Node processes; under CPU emulation (.ci/arm64-gateway) that takes many times longer.
const TIMEOUT_MS = 60_000 * Number(process.env.RIGMIND_TEST_TIMEOUT_SCALE ?? '1');
const entry = fromDist
  ? ['--max-semi-space-size=1', join(root, 'gateway/dist/cli/main.js')]
  : [join(root, 'gateway/bin/gateway.js')];

let home: string | undefined;
let stub: AnthropicStub | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child?.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
  await stub?.close();
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
  child = undefined;
  stub = undefined;
  home = undefined;
});

/** Run one CLI command to its end. */
async function cli(dir: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const proc = spawn(process.execPath, [...entry, '--home', dir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(),
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  return { code, out, err };
}

/** The environment without any gateway variable of the machine running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('RIGMIND_GATEWAY_') && name !== 'CREDENTIALS_DIRECTORY',
    ),
  );
}

describe('rigmind-gateway serve, as a process', () => {
  it(
    'serves signed escalations with its key from a file, stops on SIGTERM, and leaves a ledger and audit chain the ' +
      'CLI reads',
    async () => {
      home = mkdtempSync(join(tmpdir(), 'rigmind-serve-'));
      stub = await startAnthropicStub();
      mkdirSync(join(home, 'credentials'), { mode: 0o700 });
      writeFileSync(join(home, 'credentials', 'anthropic_api_key'), `${stub.apiKey}\n`, { mode: 0o600 });
      const config = testConfig(stub.url);
      writeFileSync(
        join(home, 'config.json'),
        JSON.stringify({
          ...config,
          upstream: { ...config.upstream, api_key_file: join(home, 'credentials', 'anthropic_api_key') },
        }),
      );

      const added = await cli(home, 'rigs', 'add', 'lab-rig');
      expect(added.code).toBe(0);
      const rigId = /rig id:\s+(\S+)/.exec(added.out)?.[1];
      const secret = /rig secret:\s+(\S+)/.exec(added.out)?.[1];
      expect(rigId).toBeDefined();
      expect(secret).toBeDefined();

      child = spawn(process.execPath, [...entry, '--home', home, 'serve', '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...cleanEnv(), RIGMIND_GATEWAY_LOG_LEVEL: 'warn' },
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const url = await new Promise<string>((resolve, reject) => {
        lines.on('line', (line) => {
          const match = /listening on (http:\/\/\S+)/.exec(line);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child?.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${stderr}`)));
      });

      const health = await fetch(`${url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
      const body = JSON.stringify(escalationBody());
      const headers = signRequest({
        rigId: rigId ?? '',
        secret: secret ?? '',
        method: 'POST',
        pathWithQuery: '/v1/escalations',
        body,
        now: Date.now(),
        nonce: randomUUID(),
      });
      const response = await fetch(`${url}/v1/escalations`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(200);
      expect(EscalationResponseSchema.parse(await response.json())).toMatchObject({
        state: 'completed',
        advice: { type: 'answer' },
      });
      // The key came from the file: the stand-in refuses any other.
      const sent = stub.received[0]?.headers;
      expect(sent?.['x-api-key'] ?? String(sent?.authorization).replace(/^Bearer /, '')).toBe(stub.apiKey);
      const unsigned = await fetch(`${url}/v1/escalations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(unsigned.status).toBe(401);

      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child?.once('exit', resolve));
      expect(code).toBe(0);
      expect(stderr).toContain('SIGTERM: stopping');

      const verify = await cli(home, 'audit', 'verify');
      expect(verify.code).toBe(0);
      expect(verify.out).toMatch(/audit chain ok: \d+ records/);
      const cost = await cli(home, 'report', 'cost', '--group-by', 'rig', '--format', 'csv');
      expect(cost.code).toBe(0);
      expect(cost.out.split('\r\n')[1]).toMatch(/^lab-rig,1,/);
    },
    TIMEOUT_MS,
  );

  it(
    'refuses to start with a clear message and exit code 2 when the API key file is missing',
    async () => {
      home = mkdtempSync(join(tmpdir(), 'rigmind-serve-'));
      const config = testConfig('http://127.0.0.1:9');
      writeFileSync(
        join(home, 'config.json'),
        JSON.stringify({ ...config, upstream: { ...config.upstream, api_key_file: join(home, 'nowhere', 'key') } }),
      );
      const result = await cli(home, 'serve', '--port', '0');
      expect(result.code).toBe(2);
      expect(result.err).toContain('cannot read the API key file');
      expect(result.err).toContain(join(home, 'nowhere', 'key'));
    },
    TIMEOUT_MS,
  );
});
