/** What the person sees before a drafted plan runs: its tasks and the simulator's makespan on this rig. */
import { resolve } from 'node:path';
import { err, ok, type Plan, type Result, type RigConfig } from '@rigmind/protocol';
import type { ResolvedPlan } from '../plan/resolve-plan.js';
import { isPolicyName } from '../scheduler/policies.js';
import { DEFAULT_RIG_PATH, loadScenario } from '../sim/scenario.js';
import { runScenario } from '../sim/run-scenario.js';
import { SimulationError } from '../sim/simulator.js';

/** The simulator's word on a plan: its makespan on the rig profile, and the bound no schedule can beat. */
export interface PlanSimulation {
  readonly makespan_s: number;
  readonly lower_bound_s: number;
  readonly rig: string;
  readonly policy: string;
}

/** Why no makespan: the profile or the plan did not load for the simulator, or it failed (a bug). */
export type SimulationCode = 'rig_invalid' | 'plan_invalid' | 'scenario_invalid' | 'simulation_failed';

/** The profile the ask simulates on: the config's (relative to the home), else the seed's example rig. */
export function profilePath(homeDir: string, config: RigConfig): string {
  const own = config.scheduler.rig_profile;
  return own === undefined ? DEFAULT_RIG_PATH : resolve(homeDir, own);
}

/** Simulate the plan file (as written) on the profile with the rig's policy, in virtual time. */
export async function simulatePlan(
  planFile: string,
  profile: string,
  policy: string,
): Promise<Result<PlanSimulation, SimulationCode>> {
  const loaded = await loadScenario(planFile, profile);
  if (!loaded.ok) return loaded;
  const name = isPolicyName(policy) ? policy : 'swap-aware';
  try {
    // As the live brain runs it: it does not guard swap-aware with naive (docs/scheduling.md, "The guard").
    const run = runScenario(loaded.value.specs, loaded.value.profile, name, { guard: false });
    return ok({
      makespan_s: run.metrics.makespan_s,
      lower_bound_s: run.metrics.lower_bound_s,
      rig: loaded.value.profile.name,
      policy: name,
    });
  } catch (error) {
    if (error instanceof SimulationError) return err('simulation_failed', error.message);
    throw error;
  }
}

const clip = (text: string, width: number): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= width ? line : `${line.slice(0, width - 3)}...`;
};

/** The plan as a table: each task (dependencies first) with class, model, estimate and what it runs. */
export function renderPlan(plan: Plan, resolved: ResolvedPlan, simulation: Result<PlanSimulation, string>): string {
  const rows = resolved.tasks.map((task) => ({
    name: task.name,
    cls: task.task_class,
    model: task.model ?? '-',
    est: task.estimate_s === undefined ? '?' : `${task.estimate_s} s`,
    deps: task.depends_on.length === 0 ? '-' : task.depends_on.join(', '),
    what: task.type === 'shell' ? `$ ${task.command ?? ''}` : `prompt: ${task.prompt ?? ''}`,
  }));
  const width = (pick: (row: (typeof rows)[number]) => string, head: string) =>
    Math.max(head.length, ...rows.map((row) => pick(row).length));
  const w = {
    name: width((r) => r.name, 'TASK'),
    cls: width((r) => r.cls, 'CLASS'),
    model: width((r) => r.model, 'MODEL'),
    est: width((r) => r.est, 'EST'),
  };
  const line = (name: string, cls: string, model: string, est: string, deps: string) =>
    `  ${name.padEnd(w.name)}  ${cls.padEnd(w.cls)}  ${model.padEnd(w.model)}  ${est.padStart(w.est)}  ${deps}`;
  const about = plan.description === undefined ? '' : `: ${clip(plan.description, 100)}`;
  const out = [
    `plan ${plan.plan}: ${rows.length} task(s)${about}`,
    line('TASK', 'CLASS', 'MODEL', 'EST', 'DEPENDS ON'),
  ];
  for (const row of rows)
    out.push(line(row.name, row.cls, row.model, row.est, row.deps), `      ${clip(row.what, 110)}`);
  out.push(
    simulation.ok
      ? `simulated makespan: ${simulation.value.makespan_s} s on ${simulation.value.rig} (policy ` +
          `${simulation.value.policy}; no schedule can beat ${simulation.value.lower_bound_s} s)`
      : `simulated makespan: unavailable (${simulation.message.split('\n').join(' ')})`,
  );
  for (const fix of resolved.fixes) out.push(`auto-fix: ${fix}`);
  return out.join('\n');
}
