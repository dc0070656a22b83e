import { EscalationResponseSchema } from '@rigmind/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, testConfig, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function ledger(h: Harness): { outcome: string; http_status: number | null; request_id: string | null; micro_usd: number }[] {
  return h.gateway.db.prepare('SELECT outcome, http_status, request_id, micro_usd FROM ledger ORDER BY id').all() as never;
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
    h.stub.script({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API.' });
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(200);
    const body = EscalationResponseSchema.parse(await response.json());
    expect(body.state).toBe('failed');
    expect(body.error?.code).toBe('upstream_billing');
    expect(h.stub.received).toHaveLength(1);
    expect(ledger(h).map((row) => row.outcome)).toEqual(['billing_refused']);
  });

  it('retries a hung call after the timeout and a malformed body, counting the malformed one at worst case', async () => {
    harness = await startHarness({ config: (url) => testConfig(url, { upstream: { base_url: url, timeout_ms: 300, max_concurrency: 4, max_wait_ms: 1_000 } }) });
    const h = harness;
    h.stub.script({ kind: 'hang' }, { kind: 'malformed' });
    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(200);
    const rows = ledger(h);
    expect(rows.map((row) => row.outcome)).toEqual(['connection_error', 'malformed', 'ok']);
    expect(rows[1]?.micro_usd).toBeGreaterThan(rows[2]?.micro_usd ?? Infinity);
  });

  it('repairs an invalid reply once, and turns a second invalid reply into a decline', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script({ kind: 'ok', text: 'Sure! Here is my answer: 42' }, { kind: 'ok', text: '{"type":"answer","text":"42"}' });
    const repaired = EscalationResponseSchema.parse(await (await h.signed('POST', '/v1/escalations', escalationBody())).json());
    expect(repaired.advice).toEqual({ type: 'answer', text: '42' });
    const repairRequest = JSON.parse(h.stub.received[1]?.body ?? '{}') as { messages: { role: string; content: string }[] };
    expect(repairRequest.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(repairRequest.messages[2]?.content).toContain('could not be used');

    h.stub.script(
      { kind: 'ok', text: '{"type":"dispatch","worker":"w1","command":"rm -rf /"}' },
      { kind: 'ok', text: '{"type":"subtasks","tasks":[{"name":"grab-gpus","type":"shell","command":"x","task_class":"resource"}]}' },
    );
    const declined = EscalationResponseSchema.parse(await (await h.signed('POST', '/v1/escalations', escalationBody())).json());
    expect(declined.state).toBe('completed');
    expect(declined.advice?.type).toBe('decline');
    expect(declined.advice?.type === 'decline' ? declined.advice.reason : '').toContain('resource');
    // Both calls of the declined escalation are paid for and in its usage.
    expect(declined.usage?.input_tokens).toBeGreaterThan(0);
  });

  it('accepts valid subtasks as proposals', async () => {
    harness = await startHarness();
    const h = harness;
    h.stub.script({ kind: 'ok', text: '```json\n{"type":"subtasks","rationale":"split","tasks":[{"name":"part-1","type":"llm","prompt":"do a","task_class":"llm"},{"name":"part-2","type":"llm","prompt":"do b","depends_on":["part-1"]}]}\n```' });
    const body = EscalationResponseSchema.parse(await (await h.signed('POST', '/v1/escalations', escalationBody())).json());
    expect(body.advice?.type).toBe('subtasks');
    expect(body.proposed_by).toBe('gateway');
  });
});
