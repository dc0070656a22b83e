import { describe, expect, it } from 'vitest';
import { estimateReadyTimes, modelServersOf, type DagNode } from '../../../rig/src/scheduler/upcoming.js';
import { DEFAULT_KNOBS } from '../../../rig/src/scheduler/types.js';
import { card, seedRig } from './fixtures.js';

const VL = 'qwen2.5-vl:7b';
/** Four ready 100 s VL tasks, then a 20 s cpu step, then the brain's task. */
const nodes: DagNode[] = [
  ...[1, 2, 3, 4].map(
    (i): DagNode => ({ id: `d${i}`, deps: [], estimateS: 100, state: 'ready', gpuWorkS: 100, model: VL }),
  ),
  { id: 'index', deps: ['d1', 'd2', 'd3', 'd4'], estimateS: 20, state: 'blocked', gpuWorkS: 0 },
  {
    id: 'summary',
    deps: ['index'],
    estimateS: 60,
    state: 'blocked',
    gpuWorkS: 120,
    contended: true,
    model: 'qwen2.5:14b',
  },
];

describe('estimateReadyTimes for the brain task at the end of a batch', () => {
  it('without model servers spreads the work over the worker cards', () => {
    // 400 card-seconds over 3 worker cards, then the 20 s cpu step.
    expect(estimateReadyTimes(nodes, 0, 3).get('summary')).toBeCloseTo(400 / 3 + 20, 6);
  });

  it('with one worker card holding the VL model, waits for that card to drain it', () => {
    const servers = { workers: new Map([[VL, 1]]), lent: new Map<string, number>(), leadS: 142.5 };
    expect(estimateReadyTimes(nodes, 0, 3, servers).get('summary')).toBeCloseTo(400 + 20, 6);
  });

  it('counts a lent brain card holding the model only until it must be freed for the brain', () => {
    // The lent card works until 142.5 s before the summary, which comes 20 s after the VL work: D + 20 - 142.5.
    const servers = { workers: new Map([[VL, 1]]), lent: new Map([[VL, 1]]), leadS: 142.5 };
    const drainS = (400 + (142.5 - 20)) / 2;
    expect(estimateReadyTimes(nodes, 0, 3, servers).get('summary')).toBeCloseTo(drainS + 20, 6);
  });

  it('ignores the split for a model nobody holds, and for models that are not listed', () => {
    const none = { workers: new Map([[VL, 0]]), lent: new Map<string, number>(), leadS: 142.5 };
    expect(estimateReadyTimes(nodes, 0, 3, none).get('summary')).toBeCloseTo(400 / 3 + 20, 6);
    const unlisted = { workers: new Map<string, number>(), lent: new Map<string, number>(), leadS: 142.5 };
    expect(estimateReadyTimes(nodes, 0, 3, unlisted).get('summary')).toBeCloseTo(400 / 3 + 20, 6);
  });
});

describe('modelServersOf', () => {
  it('lists the worker LLMs, counting worker cards and lent brain cards apart', () => {
    const cards = [card(0, [VL]), card(1, [VL]), card(2, ['qwen2.5:7b']), card(3, ['whisper-small.en']), card(4, [VL])];
    const servers = modelServersOf(cards, seedRig, DEFAULT_KNOBS);
    expect(Object.fromEntries(servers.workers)).toEqual({ 'qwen2.5:7b': 1, [VL]: 2 });
    expect(Object.fromEntries(servers.lent)).toEqual({ [VL]: 1 });
    expect(servers.leadS).toBe(7.5 + 135 + DEFAULT_KNOBS.reclaimMarginS);
  });
});
