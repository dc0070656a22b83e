import { GatewayConfigSchema, parseConfig } from '@rigmind/gateway';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { escalationBody, startHarness, testConfig, TEST_MODEL, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await harness?.close();
  harness = undefined;
});

const day = (offsetDays: number): string => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const PRICE = {
  effective_from: '2020-01-01',
  input: 5,
  output: 25,
  cache_write_5m: 6.25,
  cache_write_1h: 10,
  cache_read: 0.5,
};

describe('model retirement', () => {
  it('refuses a retired model at config load, naming the model and its day', () => {
    const config = testConfig('http://127.0.0.1:9');
    const retired = { ...config, prices: { ...config.prices, retirements: { [TEST_MODEL]: day(-3) } } };
    const loaded = parseConfig(JSON.stringify(retired));
    expect(loaded.ok).toBe(false);
    expect(loaded.ok ? '' : loaded.message).toContain(`${TEST_MODEL} was retired on ${day(-3)}`);
  });

  it('knows announced retirements a config does not list: claude-sonnet-4-5 is refused', () => {
    const config = testConfig('http://127.0.0.1:9');
    const old = {
      ...config,
      models: { allowed: ['claude-sonnet-4-5'], default: 'claude-sonnet-4-5' },
      prices: { version: 'old', models: { 'claude-sonnet-4-5': [PRICE] } },
    };
    const parsed = GatewayConfigSchema.safeParse(old);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message)).toContain(
      'claude-sonnet-4-5 was retired on 2026-11-30: remove it from models.allowed (and models.default) and pick a ' +
        'current model',
    );
  });

  it("warns once at start about a model near retirement, and keeps the SDK's notices off the console", async () => {
    // claude-opus-4-5 is on the SDK's own deprecated list: messages.create would console.warn on every call.
    const model = 'claude-opus-4-5';
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    harness = await startHarness({
      config: (url) => {
        const base = testConfig(url);
        return testConfig(url, {
          models: { allowed: [TEST_MODEL, model], default: model },
          prices: {
            ...base.prices,
            models: { ...base.prices.models, [model]: [PRICE] },
            retirements: { [model]: day(20) },
          },
        });
      },
    });
    const h = harness;
    for (let i = 0; i < 3; i += 1) {
      const response = await h.signed('POST', '/v1/escalations', escalationBody({ model_hint: model }));
      expect(response.status).toBe(200);
    }
    expect(JSON.parse(h.stub.received[0]?.body ?? '{}')).toMatchObject({ model });
    const notices = h.logs.lines.map(
      (line) => JSON.parse(line) as { msg: string; level: number; model?: string; retires_on?: string },
    );
    const retiring = notices.filter((line) => line.msg === `model ${model} retires on ${day(20)}`);
    expect(retiring).toEqual([expect.objectContaining({ level: 40, model, retires_on: day(20) })]);
    expect(warned).not.toHaveBeenCalled();
  });
});
