import { systemRuntime } from '@rigmind/protocol';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayStatus } from '../../../gateway/src/reports/gateway-status.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../gateway/src/cli/program.js';
import { escalationBody, startHarness, testConfig, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function status(home: string, ...flags: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (text: string) => void (out += text),
    err: (text: string) => void (err += text),
    runtime: systemRuntime,
  };
  const { code } = await runCli(['--home', home, 'status', ...flags], io, {});
  return { code, out, err };
}

describe('rigmind-gateway status', () => {
  it(
    'shows spend against the caps overall and per rig, the outbox, the last calls and the audit head, beside a ' +
      'running gateway',
    async () => {
      harness = await startHarness();
      const h = harness;
      const config = testConfig(h.stub.url);
      writeFileSync(join(h.home, 'config.json'), JSON.stringify(config));
      const quiet = h.gateway.registry.add('rig-quiet');
      if (!quiet.ok) throw new Error(quiet.message);
      h.stub.script({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
      expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
      expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
      // One escalation left in the outbox: upstream is gone.
      await h.stub.close();
      expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(202);

      const result = await status(h.home, '--json');
      expect(result.code).toBe(0);
      const shown = JSON.parse(result.out) as GatewayStatus;
      const spent = h.gateway.db
        .prepare(
          'SELECT (SELECT COALESCE(SUM(micro_usd), 0) FROM ledger) + (SELECT COALESCE(SUM(micro_usd), 0) FROM ' +
            'reservations)',
        )
        .pluck()
        .get() as number;
      expect(spent).toBeGreaterThan(0);
      expect(shown.overall.today).toEqual({ usd: spent / 1e6, cap_usd: config.budgets.overall.daily_usd });
      expect(shown.overall.month).toEqual({ usd: spent / 1e6, cap_usd: config.budgets.overall.monthly_usd });
      expect(shown.rigs.map((rig) => [rig.name, rig.active, rig.today.usd])).toEqual([
        ['rig-a', true, spent / 1e6],
        ['rig-quiet', true, 0],
      ]);
      expect(shown.outbox.pending).toBe(1);
      expect(shown.outbox.next_attempt_at).not.toBeNull();
      expect(shown.last_call?.outcome).toBe('connection_error');
      expect(shown.last_failed_call?.outcome).toBe('connection_error');
      expect(shown.upstream).toBe(config.upstream.base_url);
      const records = h.gateway.db.prepare('SELECT COUNT(*) FROM audit').pluck().get() as number;
      expect(shown.audit.records).toBe(records);

      const text = await status(h.home);
      expect(text.out).toMatch(/spend today {7}\d+\.\d{4} of 100\.00 USD \(\d+%\)/);
      expect(text.out).toContain('rig-quiet: today 0.0000 of 100.00 USD');
      expect(text.out).toMatch(/outbox {12}1 pending, next try \d{4}-/);
      expect(text.out).toMatch(/last failed call {2}\S+ connection_error/);
    },
  );

  it('still shows spend without config.json, says the caps are left out and why', async () => {
    harness = await startHarness();
    const h = harness;
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    rmSync(join(h.home, 'config.json'), { force: true });
    const result = await status(h.home, '--json');
    expect(result.code).toBe(0);
    expect(result.err).toContain('config.json');
    expect(result.err).toContain('caps not shown');
    const shown = JSON.parse(result.out) as GatewayStatus;
    expect(shown.overall.today.usd).toBeGreaterThan(0);
    expect(shown.overall.today.cap_usd).toBeUndefined();
    expect(shown.last_call?.outcome).toBe('ok');
    expect(shown.last_failed_call).toBeNull();
    expect(shown.outbox).toEqual({ pending: 0, next_attempt_at: null, failed_today: 0 });
  });
});
