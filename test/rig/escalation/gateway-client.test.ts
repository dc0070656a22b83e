import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { GatewayClient } from '../../../rig/src/escalation/gateway-client.js';
import { startAnthropicStub, type AnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import {
  escalationBody,
  type Harness,
  quietOutboxConfig,
  startHarness,
  testConfig,
} from '../../gateway/gateway-harness.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';

const track = closesAfterEach();

const clientFor = (h: Harness, overrides: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}) =>
  new GatewayClient({
    baseUrl: h.server.url,
    rigId: h.rig.rigId,
    secret: h.rig.secret,
    runtime: systemRuntime,
    pollIntervalMs: 20,
    pollTimeoutMs: 5_000,
    ...overrides,
  });

describe('GatewayClient against the real gateway', () => {
  it('returns advice for an answered escalation', async () => {
    const harness = track(await startHarness());
    const result = await clientFor(harness).escalate(escalationBody());
    expect(result).toMatchObject({
      ok: true,
      value: { response: { state: 'completed', proposed_by: 'gateway', advice: { type: 'answer' } } },
    });
  });

  it('follows a 202 by polling until the gateway delivers', async () => {
    const harness = track(await startHarness());
    const h = harness;
    const port = h.stub.port;
    await h.stub.close();
    let revived: AnthropicStub | undefined;
    const client = clientFor(h, {
      runtime: {
        ...systemRuntime,
        sleep: async (ms: number) => {
          revived ??= track(await startAnthropicStub({ port }));
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
      },
    });
    const result = await client.escalate(escalationBody());
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.response.state).toBe('completed');
    expect(revived?.received).toHaveLength(1);
  });

  it('gives up polling with a retryable timeout that keeps the escalation id', async () => {
    const harness = track(await startHarness());
    await harness.stub.close();
    const result = await clientFor(harness, { pollTimeoutMs: 100 }).escalate(escalationBody());
    expect(result).toMatchObject({ ok: false, code: 'timeout', retryable: true });
    expect(!result.ok && result.escalationId?.startsWith('esc_')).toBe(true);
  });

  it('reports refusals as values: bad credentials, budget, billing, local validation', async () => {
    const harness = track(
      await startHarness({
        config: (url) =>
          testConfig(url, {
            budgets: { overall: { daily_usd: 100, monthly_usd: 100 }, per_rig: { daily_usd: 0, monthly_usd: 100 } },
          }),
      }),
    );
    const h = harness;
    expect(await clientFor(h, { secret: 'wrong' }).escalate(escalationBody())).toMatchObject({
      ok: false,
      code: 'unauthorized',
      retryable: false,
      gatewayCode: 'bad_signature',
    });
    expect(await clientFor(h).escalate(escalationBody())).toMatchObject({
      ok: false,
      code: 'budget_exceeded',
      retryable: false,
      gatewayCode: 'budget_exceeded',
    });
    expect(await clientFor(h).escalate({ ...escalationBody(), instructions: '' })).toMatchObject({
      ok: false,
      code: 'refused',
      retryable: false,
    });
    expect(h.stub.received).toHaveLength(0);
  });

  it('reports an upstream billing refusal as a failed escalation', async () => {
    const harness = track(await startHarness());
    harness.stub.script({ kind: 'error', status: 403, type: 'billing_error', message: 'spend limit reached' });
    expect(await clientFor(harness).escalate(escalationBody())).toMatchObject({
      ok: false,
      code: 'failed',
      retryable: false,
      gatewayCode: 'upstream_billing',
    });
  });

  it("polls a deferred escalation no sooner than the gateway's next try upstream (Retry-After)", async () => {
    const harness = track(await startHarness({ config: quietOutboxConfig }));
    await harness.stub.close();
    const result = await clientFor(harness, { pollTimeoutMs: 10_000 }).escalate(escalationBody());
    // The outbox's next try is 30-60 s away, past the 10 s the client follows it: one look, then the timeout says when.
    expect(result).toMatchObject({ ok: false, code: 'timeout', retryable: true });
    const retryAfterMs = result.ok ? 0 : (result.retryAfterMs ?? 0);
    expect(retryAfterMs).toBeGreaterThanOrEqual(29_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    const gets = harness.gateway.db
      .prepare(
        "SELECT COUNT(*) FROM audit WHERE kind = 'request_accepted' AND json_extract(detail, '$.method') = 'GET'",
      )
      .pluck()
      .get();
    expect(gets).toBe(1);
  });

  it(
    'withdraws: missing, settled, later while unreachable, and withdrawn for one the gateway deferred; finds one ' +
      'by key',
    async () => {
      const harness = track(await startHarness({ config: quietOutboxConfig }));
      const client = clientFor(harness, { pollTimeoutMs: 0 });
      expect(await client.withdraw('esc_none')).toMatchObject({ outcome: 'missing' });
      expect(await client.findByKey('handoff-never-sent-0001')).toMatchObject({
        ok: false,
        code: 'refused',
        gatewayCode: 'not_found',
      });
      const keyed = await client.escalate(escalationBody({ idempotency_key: 'handoff-client-key-01' }));
      expect(keyed.ok && (await client.findByKey('handoff-client-key-01'))).toMatchObject({
        ok: true,
        value: { response: { id: keyed.ok ? keyed.value.response.id : '' } },
      });
      const answered = await client.escalate(escalationBody());
      expect(answered.ok && (await client.withdraw(answered.value.response.id))).toMatchObject({ outcome: 'settled' });
      await harness.stub.close();
      const deferred = await client.escalate(escalationBody());
      expect(deferred).toMatchObject({ ok: false, code: 'timeout' });
      const id = deferred.ok ? '' : (deferred.escalationId ?? '');
      expect(await client.withdraw(id)).toMatchObject({ outcome: 'withdrawn' });
      expect(await client.withdraw(id)).toMatchObject({ outcome: 'withdrawn' });
      await harness.server.close();
      expect(await client.withdraw(id)).toMatchObject({ outcome: 'later' });
    },
  );

  it('says unreachable when no gateway listens, and invalid_response when something else answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await new GatewayClient({
      baseUrl: `http://127.0.0.1:${port}`,
      rigId: 'r',
      secret: 's',
      runtime: systemRuntime,
    }).escalate(escalationBody());
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable', retryable: true });

    const impostor = createServer((_req, res) => res.end('{"id":"x","state":"completed"}'));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    try {
      expect(
        await new GatewayClient({ baseUrl: url, rigId: 'r', secret: 's', runtime: systemRuntime }).escalate(
          escalationBody(),
        ),
      ).toMatchObject({ ok: false, code: 'invalid_response' });
    } finally {
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  });

  it(
    "signs with the gateway's clock when the rig's is off: refused as stale once, then answered, and says " + 'so',
    async () => {
      const harness = track(await startHarness());
      const h = harness;
      let offset = -10 * 60_000;
      const skews: number[] = [];
      const client = clientFor(h, {
        runtime: { ...systemRuntime, now: () => Date.now() + offset },
        onClockSkew: (ms) => skews.push(ms),
      });
      const first = await client.escalate(escalationBody());
      expect(first).toMatchObject({ ok: true, value: { response: { state: 'completed' } } });
      expect(skews).toHaveLength(1);
      expect(Math.abs((skews[0] ?? 0) - 10 * 60_000)).toBeLessThan(2_000);
      // The refused try was audited as stale; the second was signed on the gateway's clock.
      const refused = h.gateway.db
        .prepare("SELECT detail FROM audit WHERE kind = 'request_refused'")
        .pluck()
        .all() as string[];
      expect(refused.map((detail) => (JSON.parse(detail) as { code: string }).code)).toEqual(['stale_request']);
      // Later requests go straight through.
      expect(await client.escalate(escalationBody())).toMatchObject({ ok: true });
      const refusals = (): unknown =>
        h.gateway.db.prepare("SELECT COUNT(*) FROM audit WHERE kind = 'request_refused'").pluck().get();
      expect(refusals()).toBe(1);
      // A rig clock set right (a jump of ten minutes) costs one more refused try, then the correction is dropped.
      offset = 0;
      expect(await client.escalate(escalationBody())).toMatchObject({ ok: true });
      expect(skews.at(-1)).toBe(0);
      expect(refusals()).toBe(2);
      expect(await client.escalate(escalationBody())).toMatchObject({ ok: true });
      expect(refusals()).toBe(2);
    },
  );

  it(
    "corrects a skew under its tolerance when the gateway's window is narrower, and leaves a clock that agrees " +
      'alone',
    async () => {
      const harness = track(await startHarness({ config: (url) => testConfig(url, { auth: { max_skew_ms: 5_000 } }) }));
      const h = harness;
      const skews: number[] = [];
      const behind = clientFor(h, {
        runtime: { ...systemRuntime, now: () => Date.now() - 12_000 },
        onClockSkew: (ms) => skews.push(ms),
      });
      expect(await behind.escalate(escalationBody())).toMatchObject({ ok: true });
      expect(skews).toHaveLength(1);
      expect(Math.abs((skews[0] ?? 0) - 12_000)).toBeLessThan(2_000);
      // The small correction is kept: later requests are not refused again.
      for (let i = 0; i < 3; i += 1) expect(await behind.escalate(escalationBody())).toMatchObject({ ok: true });
      expect(skews).toHaveLength(1);
      expect(h.gateway.db.prepare("SELECT COUNT(*) FROM audit WHERE kind = 'request_refused'").pluck().get()).toBe(1);
      const fine: number[] = [];
      expect(await clientFor(h, { onClockSkew: (ms) => fine.push(ms) }).escalate(escalationBody())).toMatchObject({
        ok: true,
      });
      expect(fine).toEqual([]);
    },
  );
});
