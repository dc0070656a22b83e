import { ADVICE_TOOL, ADVICE_TOOL_NAME, buildAdvicePrompt, costMicroUsd, estimateInputTokens } from '@rigmind/gateway';
import { AdviceSchema, EscalationRequestSchema, EscalationResponseSchema } from '@rigmind/protocol';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, TEST_MODEL, testConfig, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function ledger(
  h: Harness,
): { outcome: string; http_status: number | null; request_id: string | null; micro_usd: number }[] {
  return h.gateway.db
    .prepare('SELECT outcome, http_status, request_id, micro_usd FROM ledger ORDER BY id')
    .all() as never;
}

describe('upstream failures', () => {
  it('retries 429 (honouring retry-after), 529 and 500, then answers; one ledger row per upstream call', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script(
      { kind: 'error', status: 429, type: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '0.2' } },
      { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
      { kind: 'error', status: 500, type: 'api_error', message: 'Internal server error' },
    );
    const started = Date.now();
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const body = EscalationResponseSchema.parse(await response.json());
    expect(body.state).toBe('completed');
    expect(h.stub.received).toHaveLength(4);
    const rows = ledger(h);
    expect(rows.map((row) => row.outcome)).toEqual(['rate_limited', 'overloaded', 'server_error', 'ok']);
    expect(rows.map((row) => row.http_status)).toEqual([429, 529, 500, 200]);
    expect(rows.every((row) => row.request_id?.startsWith('req_stub_'))).toBe(true);
    expect(rows.slice(0, 3).every((row) => row.micro_usd === 0)).toBe(true);
  });

  it('does not retry a billing refusal and reports it as a failed escalation', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script({
      kind: 'error',
      status: 400,
      type: 'invalid_request_error',
      message: 'Your credit balance is too low to access the Anthropic API.',
    });
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(200);
    const body = EscalationResponseSchema.parse(await response.json());
    expect(body.state).toBe('failed');
    expect(body.error?.code).toBe('upstream_billing');
    expect(h.stub.received).toHaveLength(1);
    expect(ledger(h).map((row) => row.outcome)).toEqual(['billing_refused']);
  });

  it('retries a hung call after the timeout and a malformed body, counting the malformed at worst case', async () => {
    harness = await startHarness({
      config: (url) =>
        testConfig(url, { upstream: { base_url: url, timeout_ms: 300, max_concurrency: 4, max_wait_ms: 1_000 } }),
    });
    const h = harness;
    h.stub.script({ kind: 'hang' }, { kind: 'malformed' });
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(200);
    const rows = ledger(h);
    expect(rows.map((row) => row.outcome)).toEqual(['connection_error', 'malformed', 'ok']);
    expect(rows[1]?.micro_usd).toBeGreaterThan(rows[2]?.micro_usd ?? Infinity);
  });

  it("asks with the advice tool forced, its input_schema the protocol's AdviceSchema", async () => {
    harness = await startHarness();
    const h = harness;
    const body = EscalationResponseSchema.parse(
      await (await h.signed('POST', '/v1/escalations', escalationBody())).json(),
    );
    expect(body.advice).toEqual({ type: 'answer', text: 'stub answer' });
    const sent = JSON.parse(h.stub.received[0]?.body ?? '{}') as {
      tools: { name: string; input_schema: Record<string, unknown> }[];
      tool_choice: unknown;
    };
    expect(sent.tool_choice).toEqual({ type: 'tool', name: ADVICE_TOOL_NAME });
    const { $schema: _dialect, ...schema } = z.toJSONSchema(AdviceSchema);
    expect(sent.tools).toEqual([
      expect.objectContaining({ name: ADVICE_TOOL_NAME, input_schema: { ...schema, type: 'object' } }),
    ]);
  });

  it('repairs a non-conforming tool input once, with an error tool_result, and records the repair call', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script({ kind: 'ok', input: { type: 'answer' } }, { kind: 'ok', input: { type: 'answer', text: '42' } });
    const repaired = EscalationResponseSchema.parse(
      await (await h.signed('POST', '/v1/escalations', escalationBody())).json(),
    );
    expect(repaired.advice).toEqual({ type: 'answer', text: '42' });
    const repairRequest = JSON.parse(h.stub.received[1]?.body ?? '{}') as {
      messages: { role: string; content: unknown }[];
    };
    expect(repairRequest.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(repairRequest.messages[1]?.content).toEqual([
      { type: 'tool_use', id: expect.any(String), name: ADVICE_TOOL_NAME, input: { type: 'answer' } },
    ]);
    expect(repairRequest.messages[2]?.content).toEqual([
      {
        type: 'tool_result',
        tool_use_id: expect.any(String),
        is_error: true,
        content: expect.stringContaining('could not be used'),
      },
    ]);
    const rows = h.gateway.db.prepare('SELECT outcome, purpose FROM ledger ORDER BY id').all();
    expect(rows).toEqual([
      { outcome: 'advice_unusable', purpose: 'advice' },
      { outcome: 'ok', purpose: 'repair' },
    ]);
  });

  it('ends a reply that still does not fit as advice_unusable, with its cost, never as a made-up decline', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script(
      { kind: 'ok', input: { type: 'dispatch', worker: 'w1', command: 'rm -rf /' } },
      {
        kind: 'ok',
        input: {
          type: 'subtasks',
          tasks: [{ name: 'grab-gpus', type: 'shell', command: 'x', task_class: 'resource' }],
        },
      },
    );
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    const failed = EscalationResponseSchema.parse(await response.json());
    expect(failed.state).toBe('failed');
    expect(failed.advice).toBeUndefined();
    expect(failed.error?.code).toBe('advice_unusable');
    expect(failed.error?.message).toContain('resource');
    // Both calls were paid for: the usage says so, and the ledger holds each once.
    expect(failed.usage?.input_tokens).toBeGreaterThan(0);
    const rows = h.gateway.db.prepare('SELECT outcome, purpose, micro_usd FROM ledger ORDER BY id').all() as {
      outcome: string;
      purpose: string;
      micro_usd: number;
    }[];
    expect(rows.map((row) => [row.outcome, row.purpose])).toEqual([
      ['advice_unusable', 'advice'],
      ['advice_unusable', 'repair'],
    ]);
    expect(failed.usage?.usd).toBeCloseTo(rows.reduce((sum, row) => sum + row.micro_usd, 0) / 1e6, 6);
    const audit = h.gateway.db
      .prepare("SELECT detail FROM audit WHERE kind = 'escalation_failed'")
      .pluck()
      .all() as string[];
    expect(audit.map((detail) => (JSON.parse(detail) as { error: string }).error)).toEqual(['advice_unusable']);
  });

  it('makes no repair call the budget cannot hold: one call billed, advice_unusable', async () => {
    // A cap that fits the first call's worst case and not a second one on top of it (a repair call carries the
    // first call's prompt and more), computed as the gateway reserves it, so a longer prompt or schema keeps it so.
    const firstWorstUsd = (url: string): number => {
      const config = testConfig(url);
      const prompt = buildAdvicePrompt(EscalationRequestSchema.parse(escalationBody()), 'f'.repeat(32));
      const request = {
        model: TEST_MODEL,
        maxTokens: 256,
        system: prompt.system,
        messages: [{ role: 'user' as const, content: prompt.user }],
        tool: ADVICE_TOOL,
      };
      const price = config.prices.models[TEST_MODEL]?.[0];
      if (price === undefined) throw new Error('the test config prices no TEST_MODEL');
      const input = estimateInputTokens(request, config.budgets.bytes_per_token_estimate);
      const usage = { input, output: 256, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };
      return costMicroUsd(price, usage) / 1e6;
    };
    harness = await startHarness({
      config: (url) =>
        testConfig(url, {
          budgets: {
            overall: { daily_usd: 100, monthly_usd: 1_000 },
            per_rig: { daily_usd: firstWorstUsd(url) * 1.5, monthly_usd: 1_000 },
          },
        }),
    });
    const h = harness;
    h.stub.script({ kind: 'ok', input: { type: 'answer' }, usage: { output_tokens: 256 } });
    const failed = EscalationResponseSchema.parse(
      await (await h.signed('POST', '/v1/escalations', escalationBody())).json(),
    );
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('advice_unusable');
    expect(failed.error?.message).toContain('no repair call');
    expect(h.stub.received).toHaveLength(1);
    expect(h.gateway.db.prepare('SELECT outcome, purpose FROM ledger').all()).toEqual([
      { outcome: 'advice_unusable', purpose: 'advice' },
    ]);
  });

  it('accepts valid subtasks as proposals', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script({
      kind: 'ok',
      input: {
        type: 'subtasks',
        rationale: 'split',
        tasks: [
          { name: 'part-1', type: 'llm', prompt: 'do a', task_class: 'llm' },
          { name: 'part-2', type: 'llm', prompt: 'do b', depends_on: ['part-1'] },
        ],
      },
    });
    const body = EscalationResponseSchema.parse(
      await (await h.signed('POST', '/v1/escalations', escalationBody())).json(),
    );
    expect(body.advice?.type).toBe('subtasks');
    expect(body.proposed_by).toBe('gateway');
  });
});
