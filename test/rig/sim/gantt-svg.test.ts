import { describe, expect, it } from 'vitest';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { traceToSvg } from '../../../rig/src/sim/gantt-svg.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../../rig/src/sim/scenario.js';
import type { TraceEntry } from '../../../rig/src/sim/trace.js';
import { xmlError } from '../../helpers/xml-well-formed.js';
import { seedProfile } from '../scheduler/fixtures.js';

const MIXED = new URL('../../../examples/scenarios/mixed-hour.json', import.meta.url).pathname;
const count = (svg: string, kind: string): number => svg.split(`<g class="bar ${kind}">`).length - 1;

describe('traceToSvg', () => {
  it('is well-formed XML with one bar per run, load, unload and cut-short run of a real trace', async () => {
    const scenario = await loadScenario(MIXED);
    if (!scenario.ok) throw new Error(scenario.message);
    for (const policy of ['naive', 'swap-aware'] as const) {
      const { result } = runScenario(scenario.value.specs, scenario.value.profile, policy);
      const svg = traceToSvg(result.trace, rigSpecFromProfile(scenario.value.profile), { title: `mixed & ${policy}` });
      expect(xmlError(svg)).toBeUndefined();
      for (const kind of ['run', 'load', 'unload', 'preempted'] as const)
        expect(count(svg, kind)).toBe(result.trace.filter((entry) => entry.kind === kind).length);
      expect(count(svg, 'run')).toBe(scenario.value.specs.length);
      expect(count(svg, 'load')).toBeGreaterThan(0);
    }
  });

  it('draws a two-card run on both cards, a cpu run on a cpu lane, and escapes names', () => {
    const trace: TraceEntry[] = [
      { kind: 'load', name: 'a<b>', model: 'qwen2.5:14b', gpus: [0, 3], start_s: 0, end_s: 135 },
      { kind: 'run', name: 'a<b>', model: 'qwen2.5:14b', gpus: [0, 3], start_s: 135, end_s: 200 },
      { kind: 'run', name: 'x&y', model: null, gpus: [], start_s: 0, end_s: 10 },
      { kind: 'run', name: "q'", model: null, gpus: [], start_s: 5, end_s: 10 },
    ];
    const svg = traceToSvg(trace, rigSpecFromProfile(seedProfile), { title: 't' });
    expect(xmlError(svg)).toBeUndefined();
    const runBar = svg.split('<g class="bar run">')[1]?.split('</g>')[0] ?? '';
    expect(runBar.split('<rect').length - 1).toBe(2);
    expect(svg).toContain('>cpu 1<');
    expect(svg).toContain('>cpu 2<');
    expect(svg).toContain('a&lt;b&gt;');
    expect(svg).not.toContain('a<b>');
  });

  it('the checker rejects what is not well-formed', () => {
    expect(xmlError('<svg><g></svg>')).toMatch(/closes nothing/);
    expect(xmlError('<svg a="1" a="2"/>')).toMatch(/twice/);
    expect(xmlError('<svg>a & b</svg>')).toMatch(/bad '&'/);
    expect(xmlError('<svg x=1/>')).toMatch(/bad attribute/);
    expect(xmlError('<svg/><svg/>')).toMatch(/second root/);
  });
});
