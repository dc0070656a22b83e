import { systemRuntime } from '@rigmind/protocol';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, parseConfig } from '@rigmind/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../../gateway/src/cli/program.js';
import { testConfig } from '../gateway-harness.js';

let home: string;
let out: string;
let err: string;
let running: CliResult['running'];
let blocker: Server | undefined;
const io = {
  out: (text: string) => void (out += text),
  err: (text: string) => void (err += text),
  runtime: systemRuntime,
};
const run = (...argv: string[]) => runCli(['--home', home, ...argv], io, {});

beforeEach(() => {
  home = join(mkdtempSync(join(tmpdir(), 'rigmind-setup-')), 'gw-home');
  out = '';
  err = '';
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  await new Promise((resolve) => (blocker === undefined ? resolve(undefined) : blocker.close(resolve)));
  blocker = undefined;
  rmSync(join(home, '..'), { recursive: true, force: true });
});

describe('setting up a gateway as the README says', () => {
  it('prints its version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../gateway/package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect((await run('--version')).code).toBe(0);
    expect(out).toBe(`${pkg.version}\n`);
  });

  it('serve without a config says how to make one; init writes one that loads, and says what to do next', async () => {
    expect((await run('serve')).code).toBe(2);
    expect(err).toContain(`write one with: rigmind-gateway --home ${home} init`);

    expect((await run('init')).code).toBe(0);
    const path = join(home, 'config.json');
    expect(parseConfig(readFileSync(path, 'utf8')).ok).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(out).toContain('docs/gateway.md');
    expect(out).toContain(`rigmind-gateway --home ${home} rigs add RIG_NAME`);
    expect(out).toContain(join(home, 'anthropic_api_key'));

    err = '';
    const before = readFileSync(path, 'utf8');
    expect((await run('init')).code).toBe(1);
    expect(err).toContain('config_exists');
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('writes with init what deploy/gateway/config.example.json shows', () => {
    const example = JSON.parse(
      readFileSync(new URL('../../../deploy/gateway/config.example.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(example).toEqual(DEFAULT_CONFIG);
  });

  it('reads a relative api_key_file from the home, wherever the command was started', async () => {
    mkdirSync(home, { recursive: true });
    const config = testConfig('http://127.0.0.1:9');
    writeFileSync(
      join(home, 'config.json'),
      JSON.stringify({ ...config, upstream: { ...config.upstream, api_key_file: 'anthropic_api_key' } }),
    );
    writeFileSync(join(home, 'anthropic_api_key'), 'sk-ant-from-the-home-file\n', { mode: 0o600 });
    const result = await run('serve', '--host', '127.0.0.1', '--port', '0');
    running = result.running;
    expect({ code: result.code, err }).toEqual({ code: 0, err: '' });
  });

  it('serve on an address already in use: one line, no stack trace, exit 1', async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.json'), JSON.stringify(testConfig('http://127.0.0.1:9')));
    const taken = createServer();
    blocker = taken;
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const result = await runCli(['--home', home, 'serve', '--host', '127.0.0.1', '--port', String(port)], io, {
      RIGMIND_GATEWAY_API_KEY: 'sk-ant-x',
      RIGMIND_GATEWAY_LOG_LEVEL: 'silent',
    });
    running = result.running;
    expect(result.code).toBe(1);
    expect(err).toBe(`cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`);
  });

  it('names one port everywhere: the one the code listens on by default', () => {
    const root = new URL('../../../', import.meta.url);
    const files = [
      'README.md',
      'docs/gateway.md',
      'docs/rig.md',
      'docs/protocol.md',
      'deploy/gateway/config.example.json',
      'deploy/gateway/rigmind-gateway.service',
    ];
    const ports = files.flatMap((file) =>
      [...readFileSync(new URL(file, root), 'utf8').matchAll(/\b87\d\d\b/g)].map((m) => `${file}: ${m[0]}`),
    );
    expect(ports.length).toBeGreaterThan(2);
    expect(ports.filter((entry) => !entry.endsWith(': 8787'))).toEqual([]);
    const defaults = parseConfig(JSON.stringify({ ...testConfig('http://127.0.0.1:9'), listen: undefined }));
    expect(defaults.ok ? defaults.value.listen.port : 0).toBe(8787);
  });

  it('with --json, an error is JSON carrying its code', async () => {
    expect((await run('status', '--json')).code).toBe(1);
    // Every line is JSON: the missing config (caps not shown), then the database that cannot be opened.
    const lines = err
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { error: { code: string; message: string } });
    expect(lines.map((line) => line.error.code)).toEqual(['config_missing', 'open_failed']);
    expect(lines[1]?.error.message).toContain(join(home, 'gateway.db'));
  });
});
