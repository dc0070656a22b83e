import { systemRuntime } from '@rigmind/protocol';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayConfigSchema, openGatewayDb } from '@rigmind/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../gateway/src/cli/program.js';

let home: string;
let out: string;
let err: string;
const io = {
  out: (text: string) => void (out += text),
  err: (text: string) => void (err += text),
  runtime: { ...systemRuntime, now: () => Date.parse('2025-05-05T12:00:00Z') },
};
const run = (...argv: string[]) => runCli(['--home', home, ...argv], io, {});

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'rigmind-cli-'));
  out = '';
  err = '';
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('rigmind-gateway CLI', () => {
  it('adds, lists, rotates and revokes rigs, printing each secret only once and auditing each action', async () => {
    expect((await run('rigs', 'add', 'lab-rig')).code).toBe(0);
    const secret = /rig secret: (\S+)/.exec(out)?.[1];
    const rigId = /rig id: +(\S+)/.exec(out)?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    out = '';
    expect((await run('rigs', 'list')).code).toBe(0);
    expect(out).toContain('lab-rig');
    expect(out).toContain('active');
    expect(out).not.toContain(secret);
    expect((await run('rigs', 'add', 'lab-rig')).code).toBe(1);
    expect(err).toContain('name_taken');
    out = '';
    expect((await run('rigs', 'rotate', 'lab-rig')).code).toBe(0);
    const rotated = /rig secret: (\S+)/.exec(out)?.[1];
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(secret);
    expect(/rig id: +(\S+)/.exec(out)?.[1]).toBe(rigId);
    expect((await run('rigs', 'revoke', 'lab-rig')).code).toBe(0);
    expect((await run('rigs', 'revoke', 'lab-rig')).code).toBe(1);
    err = '';
    expect((await run('rigs', 'rotate', 'lab-rig')).code).toBe(1);
    expect(err).toBe('unknown_rig: no active rig named lab-rig\n');
    out = '';
    await run('report', 'audit', '--kind', 'admin');
    const report = JSON.parse(out) as { chain: { ok: boolean }; records: { detail: { action: string } }[] };
    expect(report.chain.ok).toBe(true);
    expect(report.records.map((r) => r.detail.action)).toEqual(['rigs_add', 'rigs_rotate', 'rigs_revoke']);
    expect(JSON.stringify(report)).not.toContain(rotated);
  });

  it('audit verify exits 0 on a good chain and 1 naming the first bad record', async () => {
    for (const name of ['a', 'b', 'c']) await run('rigs', 'add', name);
    expect((await run('audit', 'verify')).code).toBe(0);
    expect(out).toContain('audit chain ok: 3 records');
    const db = openGatewayDb(home);
    db.prepare("UPDATE audit SET actor = 'someone-else' WHERE seq = 2").run();
    db.close();
    expect((await run('audit', 'verify')).code).toBe(1);
    expect(err).toContain('record 2');
  });

  it('prints the cost report as CSV and refuses bad options', async () => {
    openGatewayDb(home).close();
    expect((await run('report', 'cost', '--format', 'csv', '--group-by', 'model')).code).toBe(0);
    expect(out.split('\r\n')[0]).toBe(
      'model,calls,input_tokens,output_tokens,cache_write_tokens,cache_read_tokens,usd',
    );
    expect((await run('report', 'cost', '--group-by', 'week')).code).toBe(2);
    expect(err).toContain('group_by');
  });

  it('reads without writing: a home with no gateway.db is an error naming it, and nothing is created', async () => {
    for (const command of [
      ['status'],
      ['rigs', 'list'],
      ['audit', 'verify'],
      ['report', 'cost'],
      ['report', 'audit'],
    ]) {
      err = '';
      expect((await run(...command)).code).toBe(1);
      expect(err).toContain('open_failed');
      expect(err).toContain(join(home, 'gateway.db'));
    }
    expect(readdirSync(home)).toEqual([]);
  });

  it('refuses to serve without a valid config', async () => {
    expect((await run('serve')).code).toBe(2);
    expect(err).toContain('config.json');
  });

  it('ships an example config that validates', () => {
    const text = readFileSync(new URL('../../../deploy/gateway/config.example.json', import.meta.url), 'utf8');
    expect(GatewayConfigSchema.safeParse(JSON.parse(text)).success).toBe(true);
  });
});
