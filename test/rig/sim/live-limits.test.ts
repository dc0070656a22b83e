import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICIES } from '../../../rig/src/scheduler/policies.js';
import { loadScenario } from '../../../rig/src/sim/scenario.js';
import { simulate } from '../../../rig/src/sim/simulator.js';
import type { TraceEntry } from '../../../rig/src/sim/trace.js';

// The live workers' limits, simulated (what `npm run bench -- live` compares the live brain with): one model per
// card, and no worker LLM on a lent brain card.
describe('simulating with the live limits', () => {
  it('keeps one model per card and lends the brain cards to scripts only, at a cost on the video batch', async () => {
    const loaded = await loadScenario(join(import.meta.dirname, '../../../examples/plans/video-pipeline-12.json'));
    if (!loaded.ok) throw new Error(loaded.message);
    const { specs, profile } = loaded.value;
    const brainCards = profile.brain?.gpus ?? [];
    const free = simulate(specs, { profile, policy: POLICIES['swap-aware'] });
    const limited = simulate(specs, {
      profile,
      policy: POLICIES['swap-aware'],
      limits: { oneModelPerCard: true, lendsLlm: false },
    });
    const worstResidency = (trace: readonly TraceEntry[]): number => {
      let worst = 0;
      for (const gpu of profile.gpus.map((card) => card.index)) {
        const held = new Set<string>();
        for (const entry of trace.filter((e) => e.gpus.includes(gpu)).sort((a, b) => a.start_s - b.start_s)) {
          if (entry.model === null) continue;
          if (entry.kind === 'load') held.add(entry.model);
          if (entry.kind === 'unload') held.delete(entry.model);
          worst = Math.max(worst, held.size);
        }
      }
      return worst;
    };
    const workerLlmOnBrainCards = (trace: readonly TraceEntry[]): number =>
      trace.filter(
        (e) =>
          e.kind === 'run' &&
          e.gpus.length === 1 &&
          e.gpus.some((gpu) => brainCards.includes(gpu)) &&
          e.model !== null &&
          profile.models[e.model]?.kind === 'llm',
      ).length;
    // Unlimited, the batch shares cards (the 14B beside an embedding) and lends card 0 to the VL describes.
    expect(worstResidency(free.trace)).toBeGreaterThan(1);
    expect(workerLlmOnBrainCards(free.trace)).toBeGreaterThan(0);
    expect(worstResidency(limited.trace)).toBe(1);
    expect(workerLlmOnBrainCards(limited.trace)).toBe(0);
    expect(limited.makespanS).toBeGreaterThan(free.makespanS);
  });
});
