import { randomUUID } from 'node:crypto';
import { EscalationResponseSchema, signRequest } from '@rigmind/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('POST /v1/escalations', () => {
  it('answers a signed request with 200 and advice proposed by the gateway', async () => {
    harness = await startHarness();
    const response = await harness.signed('POST', '/v1/escalations', escalationBody());
    expect(response.status).toBe(200);
    const body = EscalationResponseSchema.parse(await response.json());
    expect(body.state).toBe('completed');
    expect(body.proposed_by).toBe('gateway');
    expect(body.advice).toEqual({ type: 'answer', text: 'stub answer' });
    expect(body.usage?.usd).toBeGreaterThan(0);
    expect(harness.stub.received).toHaveLength(1);

    const again = await harness.signed('GET', `/v1/escalations/${body.id}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
  });
});

describe('request validation', () => {
  it('refuses invalid JSON, unknown fields and bad values with the path of each problem', async () => {
    harness = await startHarness();
    const h = harness;
    const notJson = await h.signed('POST', '/v1/escalations', '{"task":');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_json');

    const unknown = await h.signed(
      'POST',
      '/v1/escalations',
      escalationBody({ dispatch_to: 'worker-1', max_tokens: 0 }),
    );
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as {
      error: { code: string; message: string; issues: { path: string; message: string }[] };
    };
    expect(body.error.code).toBe('invalid_request');
    const paths = body.error.issues.map((issue) => issue.path);
    expect(paths).toContain('max_tokens');
    expect(body.error.issues.some((issue) => issue.message.includes('dispatch_to'))).toBe(true);

    const nested = await h.signed(
      'POST',
      '/v1/escalations',
      escalationBody({ untrusted: [{ label: '', content: 'x' }] }),
    );
    const nestedBody = (await nested.json()) as { error: { issues: { path: string }[] } };
    expect(nestedBody.error.issues.map((issue) => issue.path)).toContain('untrusted[0].label');

    const model = await h.signed('POST', '/v1/escalations', escalationBody({ model_hint: 'claude-unlisted' }));
    expect(model.status).toBe(400);
    expect(((await model.json()) as { error: { code: string } }).error.code).toBe('model_not_allowed');
    expect(h.stub.received).toHaveLength(0);
  });

  it('refuses an oversized body with 413 before reading it', async () => {
    harness = await startHarness();
    const big = escalationBody({
      untrusted: [
        { label: 'log', content: 'x'.repeat(150_000) },
        { label: 'log2', content: 'y'.repeat(150_000) },
        { label: 'log3', content: 'z'.repeat(150_000) },
        { label: 'log4', content: 'w'.repeat(150_000) },
        { label: 'log5', content: 'v'.repeat(150_000) },
        { label: 'log6', content: 'u'.repeat(150_000) },
        { label: 'log7', content: 't'.repeat(150_000) },
      ],
    });
    const response = await harness.signed('POST', '/v1/escalations', big);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('body_too_large');
    expect(body.error.message).toContain('1048576');
  });

  it('counts a chunked body (no Content-Length) as it streams: 413 over the limit, accepted under it', async () => {
    harness = await startHarness();
    const h = harness;
    const chunked = (text: string): Promise<Response> => {
      const headers = signRequest({
        rigId: h.rig.rigId,
        secret: h.rig.secret,
        method: 'POST',
        pathWithQuery: '/v1/escalations',
        body: text,
        now: Date.now(),
        nonce: randomUUID(),
      });
      const bytes = new TextEncoder().encode(text);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.subarray(at, at + 64 * 1024));
          controller.close();
        },
      });
      return fetch(`${h.server.url}/v1/escalations`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
    };
    const big = await chunked(
      JSON.stringify(escalationBody({ untrusted: [{ label: 'log', content: 'x'.repeat(1_100_000) }] })),
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
    const small = await chunked(JSON.stringify(escalationBody()));
    expect(small.status).toBe(200);
  });

  it('clamps max_tokens to the cap and uses an allowed model hint', async () => {
    harness = await startHarness();
    const response = await harness.signed(
      'POST',
      '/v1/escalations',
      escalationBody({ max_tokens: 8_000, model_hint: 'claude-test-2' }),
    );
    expect(response.status).toBe(200);
    const sent = JSON.parse(harness.stub.received[0]?.body ?? '{}') as { max_tokens: number; model: string };
    expect(sent.max_tokens).toBe(1_024);
    expect(sent.model).toBe('claude-test-2');
  });

  it("does not show one rig another rig's escalation", async () => {
    harness = await startHarness();
    const h = harness;
    const created = (await (await h.signed('POST', '/v1/escalations', escalationBody())).json()) as { id: string };
    const other = h.gateway.registry.add('rig-b');
    if (!other.ok) throw new Error(other.message);
    const response = await h.signed('GET', `/v1/escalations/${created.id}`, undefined, {
      rigId: other.value.rigId,
      name: other.value.name,
      secret: other.value.secret,
    });
    expect(response.status).toBe(404);
  });
});
