import type { RigProfile } from '@rigmind/protocol';
import { POLICIES, type PolicyName } from '../scheduler/policies.js';
import { DEFAULT_LLM_MODEL, rigSpecFromProfile, taskNeed } from '../scheduler/rig-spec.js';
import { DEFAULT_KNOBS, type SchedulerKnobs } from '../scheduler/types.js';
import type { CheckedTask } from './check-trace.js';
import { lowerBound, type LowerBound } from './lower-bound.js';
import { computeMetrics, type SimMetrics } from './metrics.js';
import { simulateGuarded, type GuardChoice } from './policy-guard.js';
import { profileTimings } from './rig-timings.js';
import type { SimTaskSpec } from './sim-tasks.js';
import { simulate, type SimResult } from './simulator.js';

/** A finished simulation with its metrics, and what the trace checker needs to verify it. */
export interface ScenarioRun {
  readonly result: SimResult;
  readonly metrics: SimMetrics;
  readonly checked: CheckedTask[];
  /** Swap-aware's guard: which policy drove from each guard point (empty for naive or with the guard off). */
  readonly choices: readonly GuardChoice[];
}

/** How to run a scenario beyond the policy. */
export interface ScenarioOptions {
  readonly knobs?: SchedulerKnobs;
  /** Guard swap-aware with naive (see `simulateGuarded`); on unless false. */
  readonly guard?: boolean;
}

/**
 * Simulate `specs` on `profile` with a named policy, and measure the run against the plan's lower bound. Swap-aware
 * runs guarded by naive unless `guard` is false.
 */
export function runScenario(
  specs: readonly SimTaskSpec[],
  profile: RigProfile,
  policy: PolicyName,
  options: ScenarioOptions = {},
): ScenarioRun {
  const rig = rigSpecFromProfile(profile);
  const timings = profileTimings(profile);
  const knobs = options.knobs ?? DEFAULT_KNOBS;
  const guarded = policy === 'swap-aware' && options.guard !== false;
  const guardedRun = guarded ? simulateGuarded(specs, { profile, knobs, timings }) : undefined;
  const result = guardedRun ?? simulate(specs, { profile, policy: POLICIES[policy], knobs, timings });
  const choices = guardedRun?.choices ?? [];
  const { bound, checked } = planFacts(specs, profile);
  return { result, metrics: computeMetrics(policy, result, rig, bound, choices), checked, choices };
}

/** What follows from the plan alone: its lower bound, and each task as the trace checker needs it. */
export function planFacts(
  specs: readonly SimTaskSpec[],
  profile: RigProfile,
): { readonly bound: LowerBound; readonly checked: CheckedTask[] } {
  const rig = rigSpecFromProfile(profile);
  const timings = profileTimings(profile);
  const checked: CheckedTask[] = [];
  const needs = specs.map((spec) => {
    const need = taskNeed(spec.task, rig, DEFAULT_LLM_MODEL);
    const model = need.kind === 'cpu' ? null : need.model;
    const cpu = need.kind === 'cpu';
    const brainCards = !cpu && spec.task.executor === 'brain' && rig.brain !== null ? rig.brain.gpus : undefined;
    checked.push({ id: spec.id, deps: spec.deps, model, cpu, submitAtS: spec.submitAtS, gpus: brainCards });
    return { spec, model, cpu, estimateS: timings.runS(null, model, spec.task) };
  });
  return { bound: lowerBound(needs, rig), checked };
}
