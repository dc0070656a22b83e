import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerSimulate } from '../../../rig/src/cli/commands/simulate.js';
import { CliError } from '../../../rig/src/cli/context.js';
import { TraceEntrySchema } from '../../../rig/src/sim/trace.js';
import { xmlError } from '../../helpers/xml-well-formed.js';

const VIDEO = new URL('../../../examples/plans/video-pipeline-12.json', import.meta.url).pathname;
const MIXED = new URL('../../../examples/scenarios/mixed-hour.json', import.meta.url).pathname;

let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<CliError | undefined> {
  const program = new Command('rigmind').exitOverride();
  registerSimulate(program);
  try {
    await program.parseAsync(['simulate', ...args], { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
}

describe('rigmind simulate', () => {
  it('prints the metrics as JSON and writes a trace of JSON lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const trace = join(dir, 'trace.jsonl');
    expect(await run(VIDEO, '--policy', 'naive', '--json', '--trace', trace)).toBeUndefined();
    const metrics = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(metrics)).toEqual(
      expect.arrayContaining([
        'makespan_s',
        'swaps',
        'loads_by_model',
        'gpu_busy_fraction',
        'wait_s',
        'lower_bound_s',
        'preemptions',
      ]),
    );
    const lines = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((line) => TraceEntrySchema.parse(JSON.parse(line)));
    expect(lines.filter((entry) => entry.kind === 'run')).toHaveLength(62);
    expect(Math.max(...lines.map((entry) => entry.end_s))).toBe(metrics['makespan_s']);
  });

  it('draws the schedule as an SVG Gantt chart with --svg, one bar per run and load', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const svg = join(dir, 'chart.svg');
    const trace = join(dir, 'trace.jsonl');
    expect(await run(VIDEO, '--svg', svg, '--trace', trace)).toBeUndefined();
    const text = readFileSync(svg, 'utf8');
    expect(xmlError(text)).toBeUndefined();
    const entries = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((line) => TraceEntrySchema.parse(JSON.parse(line)));
    for (const kind of ['run', 'load'] as const)
      expect(text.split(`<g class="bar ${kind}">`).length - 1).toBe(entries.filter((e) => e.kind === kind).length);
    expect(out).toMatch(/x the lower bound/);
  });

  it('prints a readable summary for a scenario with submissions over time', async () => {
    expect(await run(MIXED)).toBeUndefined();
    expect(out).toMatch(/policy swap-aware/);
    expect(out).toMatch(/makespan\s+\d/);
    expect(out).toMatch(/priority\s+tasks\s+mean wait s/);
  });

  it('says when the guard handed the rig to naive, and --no-guard runs swap-aware alone', async () => {
    // Two 7B questions: naive loads the 7B on two cards at once and ends sooner (see test/rig/sim/policy-guard).
    const plan = join(mkdtempSync(join(tmpdir(), 'sim-')), 'two.yaml');
    const ask = (name: string, estimate: number) =>
      `  - { name: ${name}, type: llm, task_class: llm, prompt: answer, estimate_s: ${estimate} }`;
    writeFileSync(plan, ['plan: two', 'tasks:', ask('a', 85), ask('b', 95)].join('\n'));
    expect(await run(plan)).toBeUndefined();
    expect(out).toContain('makespan      200 s');
    expect(out).toContain('guard         naive from 0 s (forecast: naive 200 s, swap-aware 285 s)');
    out = '';
    expect(await run(plan, '--no-guard', '--json')).toBeUndefined();
    expect(JSON.parse(out)).toMatchObject({ policy: 'swap-aware', makespan_s: 285, guard: [] });
  });

  it('refuses an unknown policy with exit code 2', async () => {
    const error = await run(VIDEO, '--policy', 'fifo');
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toMatch(/unknown policy 'fifo'/);
  });

  it('names a missing scenario file', async () => {
    const error = await run('/nonexistent/plan.json');
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toMatch(/\/nonexistent\/plan\.json.*ENOENT/);
  });

  it('names the fields of an invalid rig profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const rig = join(dir, 'rig.json');
    writeFileSync(rig, JSON.stringify({ name: 'x', gpus: [], cpu_slots: 0, models: {}, unload_s: 1 }));
    const error = await run(VIDEO, '--rig', rig);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toMatch(/rig\.json: not a valid rig profile/);
    expect(error?.message).toMatch(/cpu_slots/);
  });

  it('names the task of a plan that fails validation, and a model the rig lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ plan: 'p', tasks: [{ name: 'a', command: 'x', depends_on: ['b'] }] }));
    const bad = await run(plan);
    expect(bad?.exitCode).toBe(2);
    expect(bad?.message).toMatch(/plan\.json.*unknown dependency 'b'/);
    writeFileSync(plan, JSON.stringify({ plan: 'p', tasks: [{ name: 'a', prompt: 'x', model: 'llama3:70b' }] }));
    const missing = await run(plan);
    expect(missing?.exitCode).toBe(2);
    expect(missing?.message).toMatch(/task 'a': model 'llama3:70b' is not in the rig profile/);
  });
});
