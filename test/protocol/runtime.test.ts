import { createMessage, systemRuntime } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { ManualRuntime } from '../helpers/manual-runtime.js';

describe('systemRuntime', () => {
  it('sleeps about as long as asked, and an abort ends the sleep early without rejecting', async () => {
    const started = performance.now();
    await systemRuntime.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const long = systemRuntime.sleep(60_000, controller.signal);
    controller.abort();
    await expect(long).resolves.toBeUndefined();
    await expect(systemRuntime.sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });

  it('gives fresh UUIDs and randoms in [0, 1)', () => {
    expect(systemRuntime.id()).toMatch(/^[0-9a-f-]{36}$/);
    expect(systemRuntime.id()).not.toBe(systemRuntime.id());
    const r = systemRuntime.random();
    expect(r >= 0 && r < 1).toBe(true);
  });
});

describe('createMessage', () => {
  it('takes msg_id and ts from an injected runtime', () => {
    const runtime = new ManualRuntime(Date.parse('2025-01-02T03:04:05.000Z'));
    const message = createMessage('heartbeat', { role: 'worker', id: 'w1' }, { running: [] }, undefined, runtime);
    expect(message).toMatchObject({ msg_id: 'id-1', ts: '2025-01-02T03:04:05.000Z' });
  });
});
