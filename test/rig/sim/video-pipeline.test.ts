import { describe, expect, it } from 'vitest';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../../rig/src/sim/scenario.js';

const VIDEO = new URL('../../../examples/plans/video-pipeline-12.json', import.meta.url).pathname;
const MIXED = new URL('../../../examples/scenarios/mixed-hour.json', import.meta.url).pathname;

async function both(path: string) {
  const scenario = await loadScenario(path);
  if (!scenario.ok) throw new Error(scenario.message);
  const rig = rigSpecFromProfile(scenario.value.profile);
  const naive = runScenario(scenario.value.specs, scenario.value.profile, 'naive');
  const swap = runScenario(scenario.value.specs, scenario.value.profile, 'swap-aware');
  return { rig, naive, swap };
}

describe('video-pipeline-12 on the seed rig', () => {
  it('swap-aware finishes at least 1.3x sooner than naive and within 1.2x of the plan-only lower bound', async () => {
    const { naive, swap } = await both(VIDEO);
    expect(naive.metrics.lower_bound_s).toBe(swap.metrics.lower_bound_s);
    expect(naive.metrics.makespan_s / swap.metrics.makespan_s).toBeGreaterThanOrEqual(1.3);
    expect(swap.metrics.makespan_s / swap.metrics.lower_bound_s).toBeLessThanOrEqual(1.2);
    expect(swap.metrics.makespan_s).toBeGreaterThanOrEqual(swap.metrics.lower_bound_s);
  });

  it('the lower bound: the path waits for the VL load, the capacity counts the loads the work needs', async () => {
    const { swap } = await both(VIDEO);
    // keyframes (cpu, 60 s) ends before the VL is loaded (120 s); then describe_v04 130, embed 3, index 20, summary 60.
    expect(swap.metrics.critical_path_s).toBe(120 + 130 + 3 + 20 + 60);
    // Card-seconds: 2617 of one-card work + the summary's 60 s on 2 cards. A load serves from the model's earliest
    // start to the end minus its shortest tail (83 s: embed, index, summary). By T = 712 s the VL's 1018 s need
    // ceil(1018 / (712 - 120 - 83)) = 2 loads, the 7B's 634 s ceil(634 / (712 - 105 - 83)) = 2, Whisper 2, mpnet 1,
    // the 14B its 2 cards; 6 LLM loads on 5 cards need 1 unload. Just below 712 the VL needs a third load: too much.
    const cardWork = 2617 + 2 * 60;
    const loads = 2 * 135 + 2 * 120 + 2 * 105 + 2 * 4 + 4 + 7.5;
    expect(cardWork + loads).toBeLessThanOrEqual(5 * 712);
    expect(cardWork + loads + 120 + 7.5).toBeGreaterThan(5 * 712);
    expect(swap.metrics.gpu_work_bound_s).toBe(712);
    expect(swap.metrics.lower_bound_s).toBe(712);
    expect(swap.metrics.lower_bound_by).toBe('gpu_capacity');
  });

  it('on the mixed hour, swap-aware stays at least 1.5x sooner than naive and within 1.2x of the bound', async () => {
    // Measured 1.52x and 1.19x (docs/scheduling.md): a guard against a change that helps the batch and hurts the mix.
    const { naive, swap } = await both(MIXED);
    expect(naive.metrics.makespan_s / swap.metrics.makespan_s).toBeGreaterThanOrEqual(1.5);
    expect(swap.metrics.makespan_s / swap.metrics.lower_bound_s).toBeLessThanOrEqual(1.2);
  });

  it('both policies produce feasible traces that the checker accepts', async () => {
    for (const path of [VIDEO, MIXED]) {
      const { rig, naive, swap } = await both(path);
      expect(checkTrace(naive.result.trace, naive.checked, rig)).toEqual([]);
      expect(checkTrace(swap.result.trace, swap.checked, rig)).toEqual([]);
    }
  });

  it('swap-aware loads each LLM fewer times than naive', async () => {
    const { naive, swap } = await both(VIDEO);
    const llmLoads = (loads: Record<string, number>): number =>
      (loads['qwen2.5:7b'] ?? 0) + (loads['qwen2.5-vl:7b'] ?? 0);
    expect(llmLoads(swap.metrics.loads_by_model)).toBeLessThan(llmLoads(naive.metrics.loads_by_model));
    expect(swap.metrics.swaps).toBeLessThan(naive.metrics.swaps);
  });

  it('is deterministic: the same input gives the same trace', async () => {
    const first = await both(VIDEO);
    const second = await both(VIDEO);
    expect(second.swap.result.trace).toEqual(first.swap.result.trace);
  });
});
