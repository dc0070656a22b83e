import type { RigProfile } from '@rigmind/protocol';
import { POLICIES, type PolicyName } from '../scheduler/policies.js';
import { DEFAULT_LLM_MODEL, rigSpecFromProfile, taskNeed } from '../scheduler/rig-spec.js';
import { DEFAULT_KNOBS, type SchedulerKnobs } from '../scheduler/types.js';
import type { CheckedTask } from './check-trace.js';
import { lowerBound, type LowerBound } from './lower-bound.js';
import { computeMetrics, type SimMetrics } from './metrics.js';
import { profileTimings } from './rig-timings.js';
import type { SimTaskSpec } from './sim-tasks.js';
import { simulate, type SimResult } from './simulator.js';

/** A finished simulation with its metrics, and what the trace checker needs to verify it. */
export interface ScenarioRun {
  readonly result: SimResult;
  readonly metrics: SimMetrics;
  readonly checked: CheckedTask[];
}

/** Simulate `specs` on `profile` with a named policy, and measure the run against the plan's lower bound. */
export function runScenario(
  specs: readonly SimTaskSpec[],
  profile: RigProfile,
  policy: PolicyName,
  knobs: SchedulerKnobs = DEFAULT_KNOBS,
): ScenarioRun {
  const rig = rigSpecFromProfile(profile);
  const timings = profileTimings(profile);
  const result = simulate(specs, { profile, policy: POLICIES[policy], knobs, timings });
  const { bound, checked } = planFacts(specs, profile);
  return { result, metrics: computeMetrics(policy, result, rig, bound), checked };
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
