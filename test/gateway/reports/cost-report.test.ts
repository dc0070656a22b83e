import { AuditReportSchema, auditReport, costReport, CostReportSchema } from '@rigmind/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('cost reports', () => {
  it('add up to the ledger in JSON and CSV, whatever the grouping', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script({ kind: 'ok', usage: { cache_creation_input_tokens: 100, cache_read_input_tokens: 50 } });
    for (let i = 0; i < 3; i += 1) {
      const body = escalationBody({
        task: { task_id: `task-${i % 2}`, name: 'n', type: 'llm', task_class: 'llm', prompt: `p${i}` },
        ...(i === 2 ? { model_hint: 'claude-test-2' } : {}),
      });
      expect((await h.signed('POST', '/v1/escalations', body)).status).toBe(200);
    }
    h.stub.script({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);

    const ledger = h.gateway.db
      .prepare(
        'SELECT COUNT(*) AS calls, SUM(micro_usd) AS micro, SUM(input_tokens) AS input, SUM(cache_read_tokens) AS ' +
          'cache_read FROM ledger',
      )
      .get() as {
      calls: number;
      micro: number;
      input: number;
      cache_read: number;
    };
    expect(ledger.calls).toBe(5);
    expect(ledger.cache_read).toBe(50);
    const today = new Date().toISOString().slice(0, 10);
    for (const groupBy of ['day', 'model', 'rig', 'task'] as const) {
      const path = `/v1/reports/cost?from=${today}&to=${today}&group_by=${groupBy}`;
      const report = CostReportSchema.parse(await (await h.signed('GET', path)).json());
      expect(report.total.calls).toBe(ledger.calls);
      expect(report.total.input_tokens).toBe(ledger.input);
      expect(report.total.usd).toBeCloseTo(ledger.micro / 1e6, 9);
      expect(report.rows.reduce((sum, row) => sum + row.usd, 0)).toBeCloseTo(ledger.micro / 1e6, 9);
      expect(report.rows.reduce((sum, row) => sum + row.calls, 0)).toBe(ledger.calls);

      const csv = await (await h.signed('GET', `${path}&format=csv`)).text();
      const lines = csv.trim().split('\r\n');
      expect(lines[0]).toBe(`${groupBy},calls,input_tokens,output_tokens,cache_write_tokens,cache_read_tokens,usd`);
      const rows = lines.slice(1, -1).map((line) => line.split(','));
      expect(rows).toHaveLength(report.rows.length);
      expect(rows.reduce((sum, cells) => sum + Number(cells[6]), 0)).toBeCloseTo(ledger.micro / 1e6, 9);
      expect(lines.at(-1)?.startsWith('total,5,')).toBe(true);
    }
    const byModel = CostReportSchema.parse(await (await h.signed('GET', `/v1/reports/cost?group_by=model`)).json());
    expect(byModel.rows.map((row) => row.key)).toEqual(['claude-test-1', 'claude-test-2']);
    const byRig = CostReportSchema.parse(await (await h.signed('GET', `/v1/reports/cost?group_by=rig`)).json());
    expect(byRig.rows.map((row) => row.key)).toEqual(['rig-a']);
  });

  it('refuses a bad query with the parameter named', async () => {
    harness = await startHarness();
    const response = await harness.signed('GET', '/v1/reports/cost?group_by=week');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues[0]?.path).toBe('group_by');
  });

  it('serves the audit report with the chain verified', async () => {
    harness = await startHarness();
    expect((await harness.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    type Report = { chain: { ok: boolean; records: number; checked_from_seq: number }; records: { kind: string }[] };
    const report = (await (await harness.signed('GET', '/v1/reports/audit')).json()) as Report;
    expect(report.chain.ok).toBe(true);
    expect(report.records.map((r) => r.kind)).toEqual(
      expect.arrayContaining(['request_accepted', 'upstream_call', 'escalation_completed']),
    );
    // The next report reads only what was appended since (from the head the first one checked).
    const next = (await (await harness.signed('GET', '/v1/reports/audit')).json()) as Report;
    expect(next.chain).toMatchObject({ ok: true, checked_from_seq: report.chain.records });
    expect(next.chain.records).toBeGreaterThan(report.chain.records);
  });

  it('checks the whole chain at start: a record changed while it was down is logged and reported', async () => {
    harness = await startHarness();
    expect((await harness.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    harness.gateway.db.prepare('UPDATE audit SET detail = \'{"forged":true}\' WHERE seq = 2').run();
    await harness.restart();
    expect(harness.logs.text()).toMatch(/audit chain broken/);
    const report = (await (await harness.signed('GET', '/v1/reports/audit')).json()) as {
      chain: { ok: boolean; first_bad_seq: number };
    };
    expect(report.chain).toMatchObject({ ok: false, first_bad_seq: 2 });
  });

  it("give a rig its own calls and records only; the Pi's CLI view has every rig's", async () => {
    harness = await startHarness();
    const h = harness;
    const added = h.gateway.registry.add('rig-b');
    if (!added.ok) throw new Error(added.message);
    const rigB = { rigId: added.value.rigId, name: added.value.name, secret: added.value.secret };
    expect(
      (
        await h.signed(
          'POST',
          '/v1/escalations',
          escalationBody({ task: { task_id: 'task-of-a', name: 'n', type: 'llm', task_class: 'llm', prompt: 'p' } }),
        )
      ).status,
    ).toBe(200);
    for (const id of ['task-of-b-1', 'task-of-b-2']) {
      const body = escalationBody({ task: { task_id: id, name: 'n', type: 'llm', task_class: 'llm', prompt: 'p' } });
      expect((await h.signed('POST', '/v1/escalations', body, rigB)).status).toBe(200);
    }

    const asA = CostReportSchema.parse(await (await h.signed('GET', '/v1/reports/cost?group_by=task')).json());
    expect(asA.rows.map((row) => row.key)).toEqual(['task-of-a']);
    const asB = CostReportSchema.parse(
      await (await h.signed('GET', '/v1/reports/cost?group_by=rig', undefined, rigB)).json(),
    );
    expect(asB.rows.map((row) => [row.key, row.calls])).toEqual([['rig-b', 2]]);
    const all = costReport(h.gateway.db, { group_by: 'task', format: 'json' }, Date.now(), 'all');
    expect(all.rows.map((row) => row.key)).toEqual(['task-of-a', 'task-of-b-1', 'task-of-b-2']);
    expect(all.total.usd).toBeCloseTo(asA.total.usd + asB.total.usd, 9);

    const auditA = AuditReportSchema.parse(await (await h.signed('GET', '/v1/reports/audit')).json());
    expect(auditA.chain.ok).toBe(true);
    expect(new Set(auditA.records.map((record) => record.actor))).toEqual(new Set(['rig-a']));
    expect(JSON.stringify(auditA.records)).not.toContain('task-of-b');
    const auditAll = auditReport(h.gateway.db, { limit: 1_000 }, 'all');
    expect(new Set(auditAll.records.map((record) => record.actor))).toEqual(new Set(['rig-a', 'rig-b']));
  });
});
