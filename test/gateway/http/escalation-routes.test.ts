import { EscalationResponseSchema } from '@rigmind/protocol';
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
