import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../../rig/src/sim/scenario.js';

describe('swap-aware uses idle cards', () => {
  it('loads the 7B on two empty cards for autofix.md: running both 7B tasks side by side, at the bound', async () => {
    // draft_title and summarize (7B, 60 s each) wait only for the 60 s transcription; two cards loading the 7B from
    // t=0 run them together by 165 s and archive ends at 225 s. One 7B card ran them one after the other (285 s).
    const loaded = await loadScenario(join(import.meta.dirname, '../../../examples/plans/autofix.md'));
    if (!loaded.ok) throw new Error(loaded.message);
    const run = runScenario(loaded.value.specs, loaded.value.profile, 'swap-aware');
    expect(run.result.makespanS).toBe(225);
    expect(run.metrics.lower_bound_s).toBe(225);
  });
});
