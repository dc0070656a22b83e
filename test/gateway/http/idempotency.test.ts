import { EscalationResponseSchema } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { startAnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import { escalationBody, startHarness, type Harness } from '../gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';

const track = closesAfterEach();

const KEY = 'handoff-task-1-0001';

function ledgerRows(h: Harness): { escalation_id: string; outcome: string }[] {
  return h.gateway.db.prepare('SELECT escalation_id, outcome FROM ledger ORDER BY id').all() as {
    escalation_id: string;
    outcome: string;
  }[];
}

async function post(h: Harness, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await h.signed('POST', '/v1/escalations', body);
  return { status: response.status, body: await response.json() };
}

describe('idempotency keys on POST /v1/escalations', () => {
  it('answers a resend of an answered escalation with the same escalation, and calls upstream once', async () => {
    const harness = track(await startHarness());
    const h = harness;
    const first = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(first.status).toBe(200);
    const again = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(h.stub.received).toHaveLength(1);
    expect(ledgerRows(h)).toHaveLength(1);
    expect(h.gateway.db.prepare('SELECT COUNT(*) FROM escalations').pluck().get()).toBe(1);
    // Without a key, the same body is a new escalation, as before.
    const unkeyed = await post(h, escalationBody());
    expect(EscalationResponseSchema.parse(unkeyed.body).id).not.toBe(EscalationResponseSchema.parse(first.body).id);
    expect(h.stub.received).toHaveLength(2);
    const records = h.gateway.db
      .prepare("SELECT detail FROM audit WHERE kind = 'request_accepted'")
      .pluck()
      .all() as string[];
    expect(records.filter((detail) => (JSON.parse(detail) as { resent?: boolean }).resent === true)).toHaveLength(1);
  });

  it('gives a resend sent while the first is still upstream the pending escalation, not a second call', async () => {
    const harness = track(await startHarness());
    const h = harness;
    h.stub.script({ kind: 'ok', afterMs: 1_500 });
    const slow = post(h, escalationBody({ idempotency_key: KEY }));
    // By the time the first call reaches the stand-in, its row and key are committed (one transaction, before it).
    for (let i = 0; i < 2_000 && h.stub.received.length === 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(h.stub.received).toHaveLength(1);
    const resend = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(resend.status).toBe(202);
    const pending = EscalationResponseSchema.parse(resend.body);
    expect(pending.state).toBe('pending');
    const first = await slow;
    expect(first.status).toBe(200);
    expect(EscalationResponseSchema.parse(first.body).id).toBe(pending.id);
    const polled = EscalationResponseSchema.parse(
      await (await h.signed('GET', `/v1/escalations/${pending.id}`)).json(),
    );
    expect(polled.state).toBe('completed');
    expect(h.stub.received).toHaveLength(1);
  });

  it('refuses the key with a different request: 409 idempotency_conflict naming the escalation, audited', async () => {
    const harness = track(await startHarness());
    const h = harness;
    const first = EscalationResponseSchema.parse((await post(h, escalationBody({ idempotency_key: KEY }))).body);
    const other = await post(h, escalationBody({ idempotency_key: KEY, instructions: 'Something else entirely.' }));
    expect(other.status).toBe(409);
    const error = (other.body as { error: { code: string; message: string; issues: { path: string }[] } }).error;
    expect(error.code).toBe('idempotency_conflict');
    expect(error.message).toContain(first.id);
    expect(error.issues[0]?.path).toBe('idempotency_key');
    expect(h.stub.received).toHaveLength(1);
    const refused = h.gateway.db
      .prepare("SELECT detail FROM audit WHERE kind = 'request_refused'")
      .pluck()
      .all() as string[];
    expect(refused.map((detail) => (JSON.parse(detail) as { code: string }).code)).toEqual(['idempotency_conflict']);
  });

  it('keeps keys per rig: another rig may use the same key for its own escalation', async () => {
    const harness = track(await startHarness());
    const h = harness;
    const added = h.gateway.registry.add('rig-b');
    if (!added.ok) throw new Error(added.message);
    const rigB = { rigId: added.value.rigId, name: added.value.name, secret: added.value.secret };
    const a = EscalationResponseSchema.parse((await post(h, escalationBody({ idempotency_key: KEY }))).body);
    const response = await h.signed(
      'POST',
      '/v1/escalations',
      escalationBody({ idempotency_key: KEY, instructions: 'Rig B asks this.' }),
      rigB,
    );
    expect(response.status).toBe(200);
    expect(EscalationResponseSchema.parse(await response.json()).id).not.toBe(a.id);
    expect(h.stub.received).toHaveLength(2);
  });

  it('finds the escalation after a gateway restart, while it waits in the outbox and once delivered', async () => {
    const harness = track(await startHarness());
    const h = harness;
    const port = h.stub.port;
    await h.stub.close();
    const accepted = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(accepted.status).toBe(202);
    const { id } = EscalationResponseSchema.parse(accepted.body);
    await h.restart();
    const whileDown = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(whileDown.status).toBe(202);
    expect(EscalationResponseSchema.parse(whileDown.body).id).toBe(id);
    const revived = track(await startAnthropicStub({ port }));
    const deadline = Date.now() + 5_000;
    let last = whileDown;
    while (last.status === 202 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      last = await post(h, escalationBody({ idempotency_key: KEY }));
    }
    expect(last.status).toBe(200);
    expect(EscalationResponseSchema.parse(last.body)).toMatchObject({ id, state: 'completed' });
    expect(revived.received).toHaveLength(1);
    expect(ledgerRows(h).filter((row) => row.outcome === 'ok')).toEqual([{ escalation_id: id, outcome: 'ok' }]);
  });

  it('lets a resend try again when the first was refused because the ledger failed (no call was made)', async () => {
    const harness = track(await startHarness());
    const h = harness;
    h.gateway.db.exec('DROP TABLE reservations');
    const refused = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(refused.status).toBe(503);
    expect(h.stub.received).toHaveLength(0);
    // The gateway restarts with its schema whole again; the rig's resend is a new try under the same key.
    await h.restart();
    const retried = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(retried.status).toBe(200);
    const done = EscalationResponseSchema.parse(retried.body);
    expect(done.state).toBe('completed');
    expect(h.stub.received).toHaveLength(1);
    // The refused escalation stays on record, without the key; the key now names the answered one.
    const rows = h.gateway.db
      .prepare('SELECT id, state, idempotency_key FROM escalations ORDER BY created_at')
      .all() as { id: string; state: string; idempotency_key: string | null }[];
    expect(rows.map((row) => [row.state, row.idempotency_key])).toEqual([
      ['failed', null],
      ['completed', KEY],
    ]);
    expect(rows[1]?.id).toBe(done.id);
    // And a further resend is a replay of the answered one.
    expect(EscalationResponseSchema.parse((await post(h, escalationBody({ idempotency_key: KEY }))).body).id).toBe(
      done.id,
    );
    expect(h.stub.received).toHaveLength(1);
  });

  it('refuses a malformed key with 400 naming idempotency_key', async () => {
    const harness = track(await startHarness());
    const response = await post(harness, escalationBody({ idempotency_key: 'short' }));
    expect(response.status).toBe(400);
    expect((response.body as { error: { issues: { path: string }[] } }).error.issues[0]?.path).toBe('idempotency_key');
  });

  it('finds the escalation a key made (GET ?idempotency_key=), for its own rig only', async () => {
    const harness = track(await startHarness());
    const h = harness;
    const made = await post(h, escalationBody({ idempotency_key: KEY }));
    expect(made.status).toBe(200);
    const found = await h.signed('GET', `/v1/escalations?idempotency_key=${KEY}`);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual(made.body);
    expect((await h.signed('GET', '/v1/escalations?idempotency_key=handoff-never-sent-0001')).status).toBe(404);
    const missing = await h.signed('GET', '/v1/escalations');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'invalid_query' } });
    expect((await h.signed('GET', '/v1/escalations?idempotency_key=short')).status).toBe(400);
    const other = h.gateway.registry.add('rig-b');
    if (!other.ok) throw new Error(other.message);
    expect((await h.signed('GET', `/v1/escalations?idempotency_key=${KEY}`, undefined, other.value)).status).toBe(404);
  });
});
