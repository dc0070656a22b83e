import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertFeasible } from '../../../rig/src/cli/commands/simulate.js';
import { CliError } from '../../../rig/src/cli/context.js';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import { loadScenario } from '../../../rig/src/sim/scenario.js';
import { REPO } from '../../helpers/rig-harness.js';

// The command's last line of defence: a schedule that breaks a rig rule is refused (exit 1, `infeasible_trace`)
// instead of printed. The policies no longer produce one (the bugs that did are fixed), so the schedule is made
// infeasible by hand from a real run.
async function videoRun() {
  const loaded = await loadScenario(join(REPO, 'examples/plans/video-pipeline-12.json'));
  if (!loaded.ok) throw new Error(loaded.message);
  const run = runScenario(loaded.value.specs, loaded.value.profile, 'swap-aware');
  return { run, rig: rigSpecFromProfile(loaded.value.profile) };
}

function refusal(action: () => void): CliError {
  try {
    action();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('the schedule was accepted');
}

describe('simulate: an infeasible schedule is a bug', () => {
  it('accepts the real schedule', async () => {
    const { run, rig } = await videoRun();
    expect(() => assertFeasible(run, rig, 'swap-aware')).not.toThrow();
  });

  it('refuses a schedule with runs dropped, listing ten violations and how many more', async () => {
    const { run, rig } = await videoRun();
    const runs = run.result.trace.filter((entry) => entry.kind === 'run');
    const dropped = new Set(runs.slice(0, 12));
    const broken = { ...run, result: { ...run.result, trace: run.result.trace.filter((e) => !dropped.has(e)) } };
    const error = refusal(() => assertFeasible(broken, rig, 'swap-aware'));
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('infeasible_trace');
    const lines = error.message.split('\n');
    expect(lines[0]).toMatch(/^simulation produced an infeasible schedule \(a bug in policy swap-aware or the/);
    expect(lines[0]).toMatch(/simulator\): \d+ violation\(s\)$/);
    expect(lines.filter((line) => line.startsWith('  ') && !line.includes('more'))).toHaveLength(10);
    expect(lines.at(-1)).toMatch(/^ {2}\.\.\. and \d+ more$/);
  });
});
