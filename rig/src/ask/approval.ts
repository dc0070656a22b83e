import { mayDecide, type DecisionRefusal, type Result } from '@rigmind/protocol';

/** Where a plan to run came from: drafted by the brain's model, or proposed by the external tier (Claude). */
export type PlanOrigin = 'local' | 'external';

/**
 * Whether a plan may run without asking anyone, by the table of decisions (`run_plan`): a plan the brain's model
 * drafted runs on the person's standing `--yes`; a proposal from the gateway never does, as Claude only advises.
 * A refusal says why, and the person is then asked (or nothing runs).
 */
export function standingApproval(origin: PlanOrigin, yes: boolean): Result<true, DecisionRefusal> {
  return mayDecide(origin === 'local' ? 'brain_model' : 'gateway', 'run_plan', { validated: true, approved: yes });
}
