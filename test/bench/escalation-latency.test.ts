import { describe, expect, it } from 'vitest';
import { run } from '../../bench/gateway/escalation-latency.js';
import { boundFor } from '../helpers/process-start.js';

// The bench's child processes are plain JavaScript (so that they can run the compiled gateway too), which the
// typecheck does not see: a change of the gateway's API broke them once without a word. A tiny run shows they
// still start, sign, escalate and report. It measures nothing: timings are only ever compared in `npm run bench`.
describe('the escalation latency bench', () => {
  // The stand-in and the gateway, each one process start; then 60 escalations and 60 direct calls at 50/s.
  it('runs end to end at a tiny size and reports every metric as a number', {
    timeout: boundFor(2, 30_000),
  }, async () => {
    const result = await run({ ratePerSecond: 50, requests: 20, warmup: 20, settle: 20, quietMs: 0 });
    expect(result.name).toBeTypeOf('string');
    const metrics = Object.entries(result.metrics);
    expect(metrics.length).toBeGreaterThan(10);
    expect(metrics.filter(([, value]) => !Number.isFinite(value))).toEqual([]);
  });
});
