import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, testConfig, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('per-rig rate limits', () => {
  it('refuses requests over the per-minute limit with 429 and Retry-After, and audits why', async () => {
    harness = await startHarness({
      config: (url) =>
        testConfig(url, { rate_limits: { per_rig: { concurrency: 4, requests_per_minute: 2, queue: 4 } } }),
    });
    const h = harness;
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    expect((await h.signed('POST', '/v1/escalations', escalationBody())).status).toBe(200);
    const limited = await h.signed('POST', '/v1/escalations', escalationBody());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(h.stub.received).toHaveLength(2);
    const refused = h.gateway.db.prepare("SELECT detail FROM audit WHERE kind = 'request_refused'").all() as {
      detail: string;
    }[];
    expect(refused.map((row) => JSON.parse(row.detail).code)).toEqual(['rate_limited']);
  });

  it('refuses requests over the concurrency limit and its queue', async () => {
    harness = await startHarness({
      config: (url) =>
        testConfig(url, {
          upstream: { base_url: url, timeout_ms: 400, max_concurrency: 8, max_wait_ms: 1_000 },
          retry: { attempts: 1, base_ms: 1, cap_ms: 1, max_retry_after_ms: 1 },
          rate_limits: { per_rig: { concurrency: 1, requests_per_minute: 100, queue: 1 } },
        }),
    });
    const h = harness;
    h.stub.script({ kind: 'hang' }, { kind: 'hang' });
    const statuses = (
      await Promise.all(Array.from({ length: 4 }, () => h.signed('POST', '/v1/escalations', escalationBody())))
    ).map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
  });
});
