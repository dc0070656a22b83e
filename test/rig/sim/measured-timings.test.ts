import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { Store } from '../../../rig/src/store/store.js';
import { REPO, RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

const plan = join(REPO, 'examples/plans/video-pipeline-12.json');
const profile = join(REPO, 'examples/rigs/rig-5x1060.json');

describe('rigmind simulate --measured', () => {
  it("replaces the profile's load times with the ones this rig measured, leaving simulated loads out", async () => {
    const store = new Store(join(rig.home, 'state.db'), systemRuntime);
    const loaded = (model: string, ms: number, simulated = false) =>
      store.appendEvent({
        timestamp: new Date().toISOString(),
        event_type: 'model_loaded',
        gpu_id: 1,
        duration_ms: ms,
        detail: { model, kind: 'llm', ...(simulated ? { simulated: true } : {}) },
      });
    loaded('qwen2.5:7b', 8_000);
    loaded('qwen2.5:7b', 12_000);
    loaded('qwen2.5:7b', 999_000, true);
    store.close();

    const loadsOf = (file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind: string; model: string | null; start_s: number; end_s: number })
        .filter((entry) => entry.kind === 'load' && entry.model === 'qwen2.5:7b')
        .map((entry) => entry.end_s - entry.start_s);
    const plainTrace = join(rig.home, 'plain.jsonl');
    const measuredTrace = join(rig.home, 'measured.jsonl');
    const plain = await rig.run(['simulate', plan, '--rig', profile, '--json', '--trace', plainTrace]);
    const measured = await rig.run([
      'simulate',
      plan,
      '--rig',
      profile,
      '--json',
      '--measured',
      '--trace',
      measuredTrace,
    ]);
    expect(plain.exitCode).toBe(0);
    expect(measured.exitCode).toBe(0);
    expect(measured.stderr).toContain('qwen2.5:7b: 105s -> 10.0s (2 loads)');
    expect(loadsOf(plainTrace).length).toBeGreaterThan(0);
    expect(new Set(loadsOf(plainTrace))).toEqual(new Set([105]));
    expect(new Set(loadsOf(measuredTrace))).toEqual(new Set([10]));
  });

  it('says so when the rig has measured nothing', async () => {
    const result = await rig.run(['simulate', plan, '--rig', profile, '--json', '--measured']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/no measured load times in .*state\.db: the profile's are used/);
  });
});
