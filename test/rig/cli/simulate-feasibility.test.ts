import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundFor } from '../../helpers/process-start.js';
import { REPO, RigHarness } from '../../helpers/rig-harness.js';
import { UNEVEN_PROFILE_JSON } from '../../helpers/sim-workload.js';

// `rigmind simulate` as a real process: a rig that cannot hold a model is refused before anything runs, and a
// schedule the trace checker rejects is a bug that fails the command instead of printing numbers.
let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

const SEED = JSON.parse(readFileSync(join(REPO, 'examples/rigs/rig-5x1060.json'), 'utf8')) as Record<string, unknown>;

function file(name: string, value: unknown): string {
  const path = join(rig.home, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe('rigmind simulate: feasibility', () => {
  it('refuses a rig profile with a model larger than its cards, naming the model, the card and the numbers', {
    timeout: boundFor(1),
  }, async () => {
    const models = SEED['models'] as Record<string, unknown>;
    const profile = file('big.json', {
      ...SEED,
      models: { ...models, 'qwen2.5:32b': { kind: 'llm', gpus: 1, vram_mb_per_gpu: 19_000, load_s: 200 } },
    });
    const plan = file('plan.json', { plan: 'p', tasks: [{ name: 'ask', prompt: 'hi', model: 'qwen2.5:7b' }] });
    const result = await rig.run(['simulate', plan, '--rig', profile]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('big.json');
    expect(result.stderr).toMatch(/model 'qwen2\.5:32b' needs 19000 MB \+ 300 MB headroom = 19300 MB on a card/);
    expect(result.stderr).toMatch(/card 0 \(GTX 1060 6GB, 6144 MB\)/);
    expect(result.stdout).toBe('');
  });

  it('refuses the same profile when a brain is started with it, before the brain binds anything', {
    timeout: boundFor(1),
  }, async () => {
    const models = SEED['models'] as Record<string, unknown>;
    const profile = file('big.json', {
      ...SEED,
      models: { ...models, 'qwen2.5:32b': { kind: 'llm', gpus: 1, vram_mb_per_gpu: 19_000, load_s: 200 } },
    });
    const result = await rig.run(['brain', '--profile', profile]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/model 'qwen2\.5:32b' needs 19000 MB \+ 300 MB headroom = 19300 MB on a card/);
  });

  it('refuses a plan task whose vram_mb no card of the rig has', { timeout: boundFor(1) }, async () => {
    const plan = file('plan.json', {
      plan: 'p',
      tasks: [{ name: 'render', command: 'python render.py', task_class: 'script', vram_mb: 8000 }],
    });
    const result = await rig.run(['simulate', plan]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/task 'render' needs 8000 MB \(vram_mb\) \+ 300 MB headroom = 8300 MB on one card/);
    expect(result.stderr).toMatch(/the largest, card 0 \(GTX 1060 6GB\), has 6144 MB/);
  });

  it('refuses a two-card model on a rig where fewer than two cards can hold it', {
    timeout: boundFor(1),
  }, async () => {
    const profile = file('mixed.json', {
      name: 'mixed',
      gpus: [
        { index: 0, name: 'small', vram_mb: 4096 },
        { index: 1, name: 'big', vram_mb: 12_288 },
      ],
      cpu_slots: 1,
      models: { wide: { kind: 'llm', gpus: 2, vram_mb_per_gpu: 6000, load_s: 60 } },
      unload_s: 5,
      vram_headroom_mb: 200,
    });
    const plan = file('plan.json', { plan: 'p', tasks: [{ name: 'ask', prompt: 'hi', model: 'wide' }] });
    const result = await rig.run(['simulate', plan, '--rig', profile]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/model 'wide' needs 6000 MB \+ 200 MB headroom = 6200 MB on 2 cards/);
    expect(result.stderr).toMatch(/only card 1 \(big, 12288 MB\) has that; card 0 \(small, 4096 MB\) too small/);
  });

  it('puts a model only on the cards large enough for it, on a rig whose cards differ', {
    timeout: boundFor(1),
  }, async () => {
    // The model fits card 1 only, so the rig is accepted; naive used to give the task to the first free card, card 0,
    // an infeasible trace the checker refused (exit 1). A card too small for a model no longer claims it.
    const profile = file('uneven.json', UNEVEN_PROFILE_JSON);
    const plan = file('plan.json', { plan: 'p', tasks: [{ name: 'ask', prompt: 'hi', model: 'big' }] });
    const trace = join(rig.home, 'trace.jsonl');
    for (const policy of ['naive', 'swap-aware']) {
      const result = await rig.run(['simulate', plan, '--rig', profile, '--policy', policy, '--trace', trace]);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(readFileSync(trace, 'utf8')).toMatch(/"kind":"load","name":"ask","model":"big","gpus":\[1\]/);
    }
  });
});
