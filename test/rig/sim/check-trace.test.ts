import { describe, expect, it } from 'vitest';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { checkTrace } from '../../../rig/src/sim/check-trace.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../../rig/src/sim/scenario.js';
import type { TraceEntry } from '../../../rig/src/sim/trace.js';

const VIDEO = new URL('../../../examples/plans/video-pipeline-12.json', import.meta.url).pathname;

async function valid() {
  const scenario = await loadScenario(VIDEO);
  if (!scenario.ok) throw new Error(scenario.message);
  const run = runScenario(scenario.value.specs, scenario.value.profile, 'swap-aware');
  return {
    rig: rigSpecFromProfile(scenario.value.profile),
    trace: run.result.trace.map((entry) => ({ ...entry })),
    checked: run.checked,
  };
}

const find = (trace: TraceEntry[], test: (entry: TraceEntry) => boolean): TraceEntry => {
  const entry = trace.find(test);
  if (entry === undefined) throw new Error('fixture lacks the entry');
  return entry;
};

describe('checkTrace', () => {
  it('accepts the simulator trace', async () => {
    const { rig, trace, checked } = await valid();
    expect(checkTrace(trace, checked, rig)).toEqual([]);
  });

  it('finds a task started before its dependency ended', async () => {
    const { rig, trace, checked } = await valid();
    const segment = find(trace, (e) => e.kind === 'run' && e.name === 'segment_v04');
    const transcribe = find(trace, (e) => e.kind === 'run' && e.name === 'transcribe_v04');
    segment.start_s = transcribe.end_s - 1;
    expect(checkTrace(trace, checked, rig).map((v) => v.rule)).toContain('dependency');
  });

  it('finds a task run twice and a task never run', async () => {
    const { rig, trace, checked } = await valid();
    const embed = find(trace, (e) => e.kind === 'run' && e.name === 'embed_v01');
    const rules = checkTrace(
      [...trace.filter((e) => !(e.kind === 'run' && e.name === 'embed_v02')), { ...embed }],
      checked,
      rig,
    ).map((v) => v.message);
    expect(rules.some((m) => m.includes('embed_v01 ran twice'))).toBe(true);
    expect(rules.some((m) => m.includes('embed_v02 never ran'))).toBe(true);
  });

  it('finds a model used without a load before it', async () => {
    const { rig, trace, checked } = await valid();
    const loads = trace.filter((e) => !(e.kind === 'load' && e.model === 'qwen2.5-vl:7b'));
    expect(checkTrace(loads, checked, rig).map((v) => v.rule)).toContain('loaded_before_use');
  });

  it('finds a two-card model run on one card', async () => {
    const { rig, trace, checked } = await valid();
    const summary = find(trace, (e) => e.kind === 'run' && e.name === 'summarize_batch');
    summary.gpus = [summary.gpus[0] ?? 0];
    const rules = checkTrace(trace, checked, rig).map((v) => v.rule);
    expect(rules).toContain('all_cards');
  });

  it('finds models that do not fit together on a card, and two activities at once', async () => {
    const { rig, trace, checked } = await valid();
    const describe = find(trace, (e) => e.kind === 'run' && e.model === 'qwen2.5-vl:7b');
    const gpu = describe.gpus[0] ?? 0;
    trace.push({
      kind: 'load',
      name: 'extra',
      model: 'qwen2.5:7b',
      gpus: [gpu],
      start_s: describe.start_s,
      end_s: describe.start_s + 1,
    });
    const rules = checkTrace(trace, checked, rig).map((v) => v.rule);
    expect(rules).toContain('vram');
    expect(rules).toContain('card_overlap');
  });

  it('finds more cpu tasks at once than the rig has slots', async () => {
    const { rig, trace, checked } = await valid();
    for (const entry of trace) if (entry.kind === 'run' && entry.name.startsWith('keyframes_')) entry.start_s = 0;
    expect(checkTrace(trace, checked, rig).map((v) => v.rule)).toContain('cpu_slots');
  });

  it('finds a brain task off the brain cards', async () => {
    const { rig, trace, checked } = await valid();
    const summary = find(trace, (e) => e.kind === 'run' && e.name === 'summarize_batch');
    summary.gpus = [1, 2];
    expect(checkTrace(trace, checked, rig).map((v) => v.rule)).toContain('brain_cards');
  });
});
