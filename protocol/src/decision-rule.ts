/**
 * Who may decide what (docs/architecture.md's table of decisions): the brain's model proposes, rules and validation
 * dispose, Claude (through the gateway) only advises, the person approves. The brain asks this table before it
 * applies any decision, as every frame is checked against the dispatch rule. No I/O.
 */
import { z } from 'zod';
import { err, ok, type Result } from './result.js';

/** Who makes a decision. */
export const DeciderSchema = z.enum(['brain_model', 'rules', 'gateway', 'person']);
/** A decider. */
export type Decider = z.infer<typeof DeciderSchema>;

/** The decisions the rig applies to a task or a plan. */
export const DecisionKindSchema = z.enum([
  'retry',
  'fix_definition',
  'change_command',
  'escalate',
  'give_up',
  'advise',
  'run_plan',
  'cancel',
]);
/** A decision. */
export type DecisionKind = z.infer<typeof DecisionKindSchema>;

/** One row of the table: who may make the decision, and what it needs before it is applied. */
export interface DecisionRow {
  readonly by: readonly Decider[];
  /** Checked by the rules first (zod, a fix's bounds, a plan's validation): a proposal is never applied as it came. */
  readonly validated: boolean;
  /** Approved by the person (a confirmation, or a standing policy they set: `--yes`, judge.allow_command_change). */
  readonly approved: readonly Decider[];
}

/** The table. `approved` lists the deciders that need the person's approval; the person needs no one's. */
export const DECISION_RULE = {
  retry: { by: ['rules', 'brain_model', 'person'], validated: true, approved: [] },
  fix_definition: { by: ['rules', 'brain_model', 'person'], validated: true, approved: [] },
  change_command: { by: ['brain_model', 'person'], validated: true, approved: ['brain_model'] },
  escalate: { by: ['rules', 'brain_model', 'person'], validated: true, approved: [] },
  give_up: { by: ['rules', 'brain_model', 'person'], validated: true, approved: [] },
  advise: { by: ['gateway'], validated: true, approved: [] },
  run_plan: { by: ['brain_model', 'person'], validated: true, approved: ['brain_model'] },
  cancel: { by: ['person'], validated: false, approved: [] },
} as const satisfies Record<DecisionKind, DecisionRow>;

/** What has been done to a proposal before it is applied. */
export interface DecisionChecks {
  /** It passed the rules' validation. */
  readonly validated: boolean;
  /** The person approved it (or a standing policy of theirs covers it). */
  readonly approved: boolean;
}

/** Why a decision may not be applied. */
export type DecisionRefusal = 'not_allowed' | 'not_validated' | 'needs_approval';

/**
 * Whether `decider` may have `decision` applied, given `checks`: `not_allowed` when the table does not give it the
 * decision (Claude's advice is never a command), `not_validated` before the rules passed it, `needs_approval`
 * when the person has not approved what needs them.
 */
export function mayDecide(
  decider: Decider,
  decision: DecisionKind,
  checks: DecisionChecks,
): Result<true, DecisionRefusal> {
  const row: DecisionRow = DECISION_RULE[decision];
  if (!row.by.includes(decider)) return err('not_allowed', `${decider} may not decide ${decision}`);
  if (row.validated && !checks.validated)
    return err('not_validated', `${decision} by ${decider} is applied only once the rules validated it`);
  if (row.approved.includes(decider) && !checks.approved)
    return err('needs_approval', `${decision} by ${decider} needs the person's approval`);
  return ok(true);
}
