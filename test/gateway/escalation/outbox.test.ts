import { EscalationResponseSchema, type EscalationResponse } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { startAnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import { escalationBody, type Harness, quietOutboxConfig, startHarness, testConfig } from '../gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';

let harness: Harness | undefined;
const track = closesAfterEach();

async function pollUntilDone(h: Harness, id: string, limitMs: number): Promise<EscalationResponse> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const body = EscalationResponseSchema.parse(await (await h.signed('GET', `/v1/escalations/${id}`)).json());
    if (body.state !== 'pending' || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function ledgerOutcomes(h: Harness): string[] {
  return (h.gateway.db.prepare('SELECT outcome FROM ledger ORDER BY id').all() as { outcome: string }[]).map(
    (row) => row.outcome,
  );
}

/** A harness whose upstream is down, and one escalation it accepted with 202; `port` is where upstream was. */
async function acceptedWhileDown(): Promise<{ h: Harness; port: number; pending: EscalationResponse }> {
  harness = track(await startHarness());
  const h = harness;
  const port = h.stub.port;
  await h.stub.close();
  const response = await h.signed('POST', '/v1/escalations', escalationBody());
  expect(response.status).toBe(202);
  const pending = EscalationResponseSchema.parse(await response.json());
  expect(pending.state).toBe('pending');
  expect(ledgerOutcomes(h).every((outcome) => outcome === 'connection_error')).toBe(true);
  return { h, port, pending };
}

describe('durable outbox', () => {
  it('accepts with 202 while upstream is down and delivers when it is back', async () => {
    const { h, port, pending } = await acceptedWhileDown();

    const revived = track(await startAnthropicStub({ port }));
    const done = await pollUntilDone(h, pending.id, 5_000);
    expect(done.state).toBe('completed');
    expect(done.advice).toEqual({ type: 'answer', text: 'stub answer' });
    expect(revived.received).toHaveLength(1);
    // One ledger row per upstream call: the refused connections and the one that answered.
    expect(ledgerOutcomes(h).filter((outcome) => outcome === 'ok')).toHaveLength(1);
  });

  it('tells a poller when the next try upstream is (Retry-After on 202 and on a pending GET)', async () => {
    harness = track(await startHarness({ config: quietOutboxConfig }));
    const h = harness;
    await h.stub.close();
    const accepted = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(accepted.status).toBe(202);
    const id = EscalationResponseSchema.parse(await accepted.json()).id;
    for (const response of [accepted, await h.signed('GET', `/v1/escalations/${id}`)]) {
      const seconds = Number(response.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(29);
      expect(seconds).toBeLessThanOrEqual(60);
    }
  });

  it('loses nothing across a gateway restart', async () => {
    harness = track(await startHarness());
    const h = harness;
    const port = h.stub.port;
    await h.stub.close();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await h.signed(
        'POST',
        '/v1/escalations',
        escalationBody({ task: { task_id: `task-${i}`, name: `t${i}`, type: 'llm', task_class: 'llm', prompt: 'p' } }),
      );
      expect(response.status).toBe(202);
      ids.push(EscalationResponseSchema.parse(await response.json()).id);
    }
    await h.server.close();
    const revived = track(await startAnthropicStub({ port }));
    await h.restart();
    for (const id of ids) expect((await pollUntilDone(h, id, 5_000)).state).toBe('completed');
    expect(revived.received).toHaveLength(3);
    const perEscalation = h.gateway.db
      .prepare("SELECT escalation_id, COUNT(*) AS n FROM ledger WHERE outcome = 'ok' GROUP BY escalation_id")
      .all();
    expect(perEscalation).toHaveLength(3);
  });

  it('spends nothing more for a rig revoked while its escalation waited: it fails with rig_revoked', async () => {
    const { h, port, pending } = await acceptedWhileDown();
    expect(h.gateway.registry.revoke(h.rig.name)).toBe(true);
    const revived = track(await startAnthropicStub({ port }));
    const stateOf = () =>
      h.gateway.db.prepare('SELECT state, response FROM escalations WHERE id = ?').get(pending.id) as {
        state: string;
        response: string | null;
      };
    const deadline = Date.now() + 5_000;
    while (stateOf().state === 'pending' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(stateOf().state).toBe('failed');
    expect(EscalationResponseSchema.parse(JSON.parse(stateOf().response ?? 'null')).error?.code).toBe('rig_revoked');
    expect(revived.received).toHaveLength(0);
    const audited = h.gateway.db
      .prepare("SELECT detail FROM audit WHERE kind = 'escalation_failed'")
      .pluck()
      .all() as string[];
    expect(audited.map((detail) => JSON.parse(detail) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ escalation_id: pending.id, error: 'rig_revoked' }),
    ]);
  });

  it('fails a redelivery that finds a budget cap reached with budget_exceeded, and calls nothing', async () => {
    const { h, port, pending } = await acceptedWhileDown();

    // The day's cap is now below any call's worst case, as if other escalations had spent it meanwhile.
    await h.server.close();
    const revived = track(await startAnthropicStub({ port }));
    const tiny = { daily_usd: 0.000_001, monthly_usd: 1_000 };
    await h.restart(testConfig(revived.url, { budgets: { overall: tiny, per_rig: tiny } }));
    const done = await pollUntilDone(h, pending.id, 5_000);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('budget_exceeded');
    expect(revived.received).toHaveLength(0);
    expect(ledgerOutcomes(h).every((outcome) => outcome === 'connection_error')).toBe(true);
  });
});
