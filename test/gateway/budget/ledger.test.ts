import { EscalationRequestSchema } from '@rigmind/protocol';
import { ADVICE_TOOL, buildAdvicePrompt, costMicroUsd, estimateInputTokens, microToUsd } from '@rigmind/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, testConfig, TEST_MODEL, type Harness } from '../gateway-harness.js';
import { SONNET_LIKE_PRICE } from '../sonnet-price.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const PRICE = SONNET_LIKE_PRICE;

/** The worst case the gateway reserves for this body: same prompt builder, same estimate. */
function worstCase(body: Record<string, unknown>): { micro: number; inputTokens: number; maxTokens: number } {
  const request = EscalationRequestSchema.parse(body);
  const prompt = buildAdvicePrompt(request, 'f'.repeat(32));
  const inputTokens = estimateInputTokens(
    {
      model: TEST_MODEL,
      maxTokens: request.max_tokens,
      system: prompt.system,
      messages: [{ role: 'user', content: prompt.user }],
      tool: ADVICE_TOOL,
    },
    2,
  );
  return {
    micro: costMicroUsd(PRICE, {
      input: inputTokens,
      output: request.max_tokens,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      cacheRead: 0,
    }),
    inputTokens,
    maxTokens: request.max_tokens,
  };
}

function ledgerSumMicro(h: Harness): number {
  return (h.gateway.db.prepare('SELECT COALESCE(SUM(micro_usd), 0) AS s FROM ledger').get() as { s: number }).s;
}

describe('budgets under concurrency', () => {
  it('lets 50 concurrent requests spend no more than a cap that fits 10', async () => {
    const body = escalationBody();
    const worst = worstCase(body);
    const capUsd = microToUsd(worst.micro * 10 + 5);
    harness = await startHarness({
      config: (url) =>
        testConfig(url, {
          budgets: {
            overall: { daily_usd: 1_000, monthly_usd: 1_000 },
            per_rig: { daily_usd: capUsd, monthly_usd: 1_000 },
          },
        }),
      // Every call really costs its worst case, so exactly ten fit whatever the order.
      stub: { reply: () => JSON.stringify({ type: 'answer', text: 'ok' }) },
    });
    const h = harness;
    for (let i = 0; i < 50; i += 1)
      h.stub.script({ kind: 'ok', usage: { input_tokens: worst.inputTokens, output_tokens: worst.maxTokens } });

    const responses = await Promise.all(Array.from({ length: 50 }, () => h.signed('POST', '/v1/escalations', body)));
    const statuses = responses.map((response) => response.status);
    const codes = await Promise.all(
      responses
        .filter((r) => r.status !== 200)
        .map(async (r) => ((await r.json()) as { error: { code: string } }).error.code),
    );

    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 402)).toHaveLength(40);
    expect(new Set(codes)).toEqual(new Set(['budget_exceeded']));
    expect(ledgerSumMicro(h)).toBeLessThanOrEqual(worst.micro * 10 + 5);
    expect(h.stub.received).toHaveLength(10);
    expect((h.gateway.db.prepare('SELECT COUNT(*) AS n FROM ledger').get() as { n: number }).n).toBe(10);
    expect((h.gateway.db.prepare('SELECT COUNT(*) AS n FROM reservations').get() as { n: number }).n).toBe(0);
  });

  it('fails closed: with the ledger broken it refuses and never calls upstream', async () => {
    harness = await startHarness();
    const h = harness;
    h.gateway.db.exec('DROP TABLE reservations');
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ledger_unavailable');
    expect(h.stub.received).toHaveLength(0);
  });

  it('settles reservations left by a crash at their worst case on the next start', async () => {
    harness = await startHarness();
    const h = harness;
    h.gateway.ledger.reserve(
      { rigId: h.rig.rigId, escalationId: 'esc_x', taskId: 't', model: TEST_MODEL, priceVersion: 'v', microUsd: 1234 },
      Date.now(),
    );
    await h.restart();
    const row = h.gateway.db.prepare("SELECT micro_usd, outcome FROM ledger WHERE escalation_id = 'esc_x'").get() as {
      micro_usd: number;
      outcome: string;
    };
    expect(row).toEqual({ micro_usd: 1234, outcome: 'interrupted' });
    expect((h.gateway.db.prepare('SELECT COUNT(*) AS n FROM reservations').get() as { n: number }).n).toBe(0);
  });

  it('keeps the per-day spend totals equal to ledger plus open reservations, and rebuilds them on start', async () => {
    harness = await startHarness();
    const h = harness;
    const totals = (): unknown => ({
      spend: h.gateway.db
        .prepare('SELECT day, rig_id, micro_usd FROM spend WHERE micro_usd != 0 ORDER BY day, rig_id')
        .all(),
      source: h.gateway.db
        .prepare(`SELECT day, rig_id, SUM(micro_usd) AS micro_usd FROM (SELECT day, rig_id, micro_usd FROM ledger
          UNION ALL SELECT day, rig_id, micro_usd FROM reservations)
          GROUP BY day, rig_id HAVING SUM(micro_usd) != 0 ORDER BY day, rig_id`)
        .all(),
    });
    const same = (): void => {
      const { spend, source } = totals() as { spend: unknown[]; source: unknown[] };
      expect(spend).toEqual(source);
    };
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    const day1 = Date.parse('2025-01-31T23:59:00Z');
    const hold = (micro: number, ts: number) => {
      const r = h.gateway.ledger.reserve(
        {
          rigId: h.rig.rigId,
          escalationId: 'esc_s',
          taskId: 't',
          model: TEST_MODEL,
          priceVersion: 'v',
          microUsd: micro,
        },
        ts,
      );
      if (!r.ok) throw new Error('reserve refused');
      return r.value;
    };
    const released = hold(500, day1);
    const settled = hold(700, day1);
    same();
    h.gateway.ledger.release(released);
    // Settled on the next day (and month): the hold leaves the old day, the cost lands on the new one.
    const none = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
    h.gateway.ledger.settle(settled, {
      ts: day1 + 120_000,
      rigId: h.rig.rigId,
      escalationId: 'esc_s',
      taskId: 't',
      model: TEST_MODEL,
      usage: none,
      priceVersion: 'v',
      microUsd: 650,
      latencyMs: 1,
      outcome: 'ok',
      httpStatus: 200,
      requestId: null,
    });
    hold(300, day1);
    same();
    h.gateway.db.exec('DELETE FROM spend');
    await h.restart();
    same();
  });
});
