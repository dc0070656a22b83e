import { RigProfileSchema } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { profileFitProblems } from '../../../rig/src/scheduler/profile-fit.js';
import { seedProfile } from './fixtures.js';

const withSeed = (change: Record<string, unknown>) => RigProfileSchema.parse({ ...seedProfile, ...change });

describe('profileFitProblems', () => {
  it('finds nothing wrong with the seed rig', () => {
    expect(profileFitProblems(seedProfile)).toEqual([]);
  });

  it('counts the headroom: a model that fits a card only without it is refused', () => {
    // 6144 MB cards, 300 MB headroom: 5900 MB leaves 244 MB.
    const profile = withSeed({
      models: { ...seedProfile.models, tight: { kind: 'llm', gpus: 1, vram_mb_per_gpu: 5900, load_s: 1 } },
    });
    expect(profileFitProblems(profile)).toEqual([
      expect.stringMatching(/^model 'tight' needs 5900 MB \+ 300 MB headroom = 6200 MB on a card; no card has that/),
    ]);
  });

  it('refuses a model needing more cards than the rig has', () => {
    const profile = withSeed({
      models: { ...seedProfile.models, huge: { kind: 'llm', gpus: 8, vram_mb_per_gpu: 1000, load_s: 1 } },
    });
    expect(profileFitProblems(profile)).toEqual(["model 'huge' needs 8 cards; the rig has 5 (0, 1, 2, 3, 4)"]);
  });

  it('refuses a brain on cards the rig lacks, of the wrong count, or too small for its model', () => {
    expect(profileFitProblems(withSeed({ brain: { model: 'qwen2.5:14b', gpus: [0, 7] } }))).toEqual([
      'brain: card(s) 7 are not in the rig (it has 0, 1, 2, 3, 4)',
    ]);
    expect(profileFitProblems(withSeed({ brain: { model: 'qwen2.5:14b', gpus: [0] } }))).toEqual([
      "brain: model 'qwen2.5:14b' spans 2 card(s) but the brain has 1 ([0])",
    ]);
    const small = withSeed({
      gpus: seedProfile.gpus.map((gpu) => (gpu.index === 3 ? { ...gpu, vram_mb: 4096 } : gpu)),
      models: { 'qwen2.5:14b': seedProfile.models['qwen2.5:14b'] },
    });
    expect(profileFitProblems(small)).toEqual([
      "brain: model 'qwen2.5:14b' needs 4900 MB + 300 MB headroom = 5200 MB on each brain card; card 3 " +
        '(GTX 1060 6GB, 4096 MB) is too small',
    ]);
  });
});
