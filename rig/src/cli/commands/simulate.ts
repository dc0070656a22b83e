import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { isPolicyName, POLICY_NAMES } from '../../scheduler/policies.js';
import { rigSpecFromProfile } from '../../scheduler/rig-spec.js';
import type { RigSpec } from '../../scheduler/types.js';
import { checkTrace } from '../../sim/check-trace.js';
import { traceToSvg } from '../../sim/gantt-svg.js';
import { loadScenario } from '../../sim/scenario.js';
import { runScenario, type ScenarioRun } from '../../sim/run-scenario.js';
import { SimulationError } from '../../sim/simulator.js';
import { renderSummary } from '../../sim/summary-table.js';
import { traceToJsonLines } from '../../sim/trace.js';
import { resolveHome } from '../../config/env.js';
import { rigHome } from '../../config/rig-home.js';
import { withMeasuredLoads } from '../../sim/measured-timings.js';
import { readMeasuredLoads } from '../../store/timings.js';
import { CliError, printJson } from '../context.js';

interface SimulateFlags {
  readonly policy: string;
  readonly rig?: string;
  readonly json?: boolean;
  readonly trace?: string;
  readonly svg?: string;
  readonly measured?: boolean;
  /** Commander's `--no-guard`: false when given. */
  readonly guard: boolean;
}

/** How many of an infeasible trace's violations the error lists. */
const SHOWN_VIOLATIONS = 10;

/**
 * `rigmind simulate SCENARIO --policy naive|swap-aware [--rig PROFILE] [--json] [--trace FILE] [--svg FILE]
 * [--measured] [--no-guard]`.
 */
export function registerSimulate(program: Command): void {
  program
    .command('simulate <scenario>')
    .description(
      'run a scheduling policy on a simulated rig in virtual time (SCENARIO: a plan file or a scenario JSON)',
    )
    .option('--policy <name>', `scheduling policy: ${POLICY_NAMES.join(' or ')}`, 'swap-aware')
    .option('--rig <profile>', "rig profile JSON (default: the scenario's rig, else examples/rigs/rig-5x1060.json)")
    .option('--json', 'print the metrics as one JSON document')
    .option('--trace <file>', 'write every run, load and unload as JSON lines')
    .option('--svg <file>', 'draw the schedule as a Gantt chart (SVG): cards as rows, runs and loads as bars')
    .option('--measured', "use the load times this rig measured (the home's event log) instead of the profile's")
    .option('--no-guard', 'run swap-aware alone, without checking it against naive at each submission')
    .action(async (scenario: string, flags: SimulateFlags, command: Command) => {
      if (!isPolicyName(flags.policy))
        throw new CliError(`unknown policy '${flags.policy}': use ${POLICY_NAMES.join(' or ')}`, 2, 'unknown_policy');
      const loaded = await loadScenario(scenario, flags.rig);
      if (!loaded.ok) throw new CliError(loaded.message, 2, loaded.code);
      let profile = loaded.value.profile;
      if (flags.measured === true) {
        const home = rigHome(resolveHome(command.optsWithGlobals<{ home?: string }>().home));
        const adjusted = withMeasuredLoads(profile, readMeasuredLoads(home.dbPath));
        profile = adjusted.profile;
        process.stderr.write(
          adjusted.replaced.length === 0
            ? `no measured load times in ${home.dbPath}: the profile's are used\n`
            : `measured load times from ${home.dbPath}:\n${adjusted.replaced.map((line) => `  ${line}`).join('\n')}\n`,
        );
      }
      let run: ScenarioRun;
      try {
        run = runScenario(loaded.value.specs, profile, flags.policy, { guard: flags.guard });
      } catch (error) {
        // A policy or simulator bug, not the user's input: still one line, with the code, not a stack.
        if (error instanceof SimulationError) throw new CliError(`simulation failed: ${error.message}`, 1, error.code);
        throw error;
      }
      if (flags.trace !== undefined) await writeOut(flags.trace, traceToJsonLines(run.result.trace), 'trace');
      // Every trace is checked before anything is printed: an infeasible one is a policy or simulator bug.
      const rig = rigSpecFromProfile(profile);
      assertFeasible(run, rig, flags.policy);
      if (flags.svg !== undefined) {
        const title = `${basename(scenario)}: policy ${flags.policy}, makespan ${run.metrics.makespan_s} s`;
        await writeOut(flags.svg, traceToSvg(run.result.trace, rig, { title }), 'svg');
      }
      if (flags.json === true) printJson(run.metrics);
      else {
        const { rigSource, specs } = loaded.value;
        process.stdout.write(`${renderSummary(run.metrics, { scenario, rig: rigSource, tasks: specs.length })}\n`);
      }
    });
}

/**
 * Refuse a schedule that breaks a rule of the rig (`checkTrace`): exit 1 with code `infeasible_trace`, listing the
 * first violations. Separate from the command so the refusal can be shown on a schedule no fixed policy produces.
 */
export function assertFeasible(run: ScenarioRun, rig: RigSpec, policy: string): void {
  const violations = checkTrace(run.result.trace, run.checked, rig);
  if (violations.length === 0) return;
  const shown = violations.slice(0, SHOWN_VIOLATIONS).map((v) => `  ${v.rule}: ${v.message}`);
  const more = violations.length - shown.length;
  throw new CliError(
    [
      `simulation produced an infeasible schedule (a bug in policy ${policy} or the simulator): ` +
        `${violations.length} violation(s)`,
      ...shown,
      ...(more > 0 ? [`  ... and ${more} more`] : []),
    ].join('\n'),
    1,
    'infeasible_trace',
  );
}

async function writeOut(path: string, text: string, what: 'trace' | 'svg'): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new CliError(
      `cannot write ${what} '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      2,
      `${what}_unwritable`,
    );
  }
}
