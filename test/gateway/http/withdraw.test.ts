import { EscalationResponseSchema } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { EscalationStore } from '../../../gateway/src/escalation/escalation-store.js';
import { startAnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import { escalationBody, quietOutboxConfig, startHarness, type Harness } from '../gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';

const track = closesAfterEach();

async function call(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
): Promise<{
  status: number;
  body: { error?: { code: string } } & Record<string, unknown>;
  retryAfter: string | null;
}> {
  const response = await h.signed(method, path, body);
  return {
    status: response.status,
    body: (await response.json()) as { error?: { code: string } },
    retryAfter: response.headers.get('retry-after'),
  };
}

const auditKinds = (h: Harness): string[] =>
  h.gateway.db.prepare('SELECT kind FROM audit ORDER BY seq').pluck().all() as string[];

describe('DELETE /v1/escalations/:id', () => {
  it('withdraws an escalation waiting in the outbox: never delivered, nothing spent, same answer twice', async () => {
    const harness = track(await startHarness({ config: quietOutboxConfig }));
    const h = harness;
    const port = h.stub.port;
    await h.stub.close();
    const accepted = await call(h, 'POST', '/v1/escalations', escalationBody());
    expect(accepted.status).toBe(202);
    const id = EscalationResponseSchema.parse(accepted.body).id;

    const withdrawn = await call(h, 'DELETE', `/v1/escalations/${id}`);
    expect(withdrawn.status).toBe(200);
    expect(EscalationResponseSchema.parse(withdrawn.body)).toMatchObject({
      id,
      state: 'failed',
      error: { code: 'withdrawn' },
    });
    expect((await call(h, 'GET', `/v1/escalations/${id}`)).body).toEqual(withdrawn.body);
    expect(await call(h, 'DELETE', `/v1/escalations/${id}`)).toMatchObject({ status: 200, body: withdrawn.body });

    // Upstream comes back; the outbox has nothing of it to deliver.
    const revived = track(await startAnthropicStub({ port }));
    const spentBefore = h.gateway.db.prepare("SELECT COUNT(*) FROM ledger WHERE outcome = 'ok'").pluck().get();
    await h.gateway.outbox.tick();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(revived.received).toHaveLength(0);
    expect(h.gateway.db.prepare("SELECT COUNT(*) FROM ledger WHERE outcome = 'ok'").pluck().get()).toBe(spentBefore);
    expect(auditKinds(h).filter((kind) => kind === 'escalation_withdrawn')).toHaveLength(1);
  });

  it("refuses a settled escalation (its result stands), and another rig's or an unknown one as missing", async () => {
    const harness = track(await startHarness());
    const h = harness;
    const answered = await call(h, 'POST', '/v1/escalations', escalationBody());
    expect(answered.status).toBe(200);
    const id = EscalationResponseSchema.parse(answered.body).id;
    const settled = await call(h, 'DELETE', `/v1/escalations/${id}`);
    expect(settled).toMatchObject({ status: 409, body: { error: { code: 'already_settled' } } });
    expect((await call(h, 'GET', `/v1/escalations/${id}`)).body).toEqual(answered.body);

    const other = h.gateway.registry.add('rig-b');
    if (!other.ok) throw new Error(other.message);
    const response = await h.signed('DELETE', `/v1/escalations/${id}`, undefined, other.value);
    expect(response.status).toBe(404);
    expect((await call(h, 'DELETE', '/v1/escalations/esc_nothing')).status).toBe(404);
    expect(auditKinds(h).filter((kind) => kind === 'request_refused')).toHaveLength(3);
  });

  it('asks to come back while a call is under way (409 in_delivery, Retry-After); that call then answers', async () => {
    const harness = track(await startHarness());
    const h = harness;
    h.stub.script({ kind: 'ok', afterMs: 1_000 });
    const slow = call(h, 'POST', '/v1/escalations', escalationBody());
    for (let i = 0; i < 2_000 && h.stub.received.length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const id = h.gateway.db.prepare('SELECT id FROM escalations').pluck().get() as string;
    const busy = await call(h, 'DELETE', `/v1/escalations/${id}`);
    expect(busy).toMatchObject({ status: 409, body: { error: { code: 'in_delivery' } }, retryAfter: '5' });
    const done = await slow;
    expect(done.status).toBe(200);
    expect(EscalationResponseSchema.parse(done.body).state).toBe('completed');
  });

  it('keeps a withdrawal when a call that was already under way finishes afterwards', async () => {
    const harness = track(await startHarness());
    const store = new EscalationStore(harness.gateway.db);
    const row = store.create(
      {
        id: 'esc_race',
        rigId: harness.rig.rigId,
        taskId: 't',
        request: '{}',
        model: 'm',
        maxTokens: 1,
        idempotencyKey: null,
      },
      1,
      2,
    );
    const withdrawn = {
      id: row.id,
      state: 'failed',
      proposed_by: 'gateway',
      error: { code: 'withdrawn', message: 'by the rig' },
    } as const;
    expect(store.withdraw(row.id, withdrawn, 3)).toBe(true);
    store.finish(
      row.id,
      { id: row.id, state: 'completed', proposed_by: 'gateway', advice: { type: 'answer', text: 'late' } },
      4,
    );
    expect(store.get(row.id)).toMatchObject({ state: 'failed', response: JSON.stringify(withdrawn) });
    expect(store.withdraw(row.id, withdrawn, 5)).toBe(false);
  });
});
