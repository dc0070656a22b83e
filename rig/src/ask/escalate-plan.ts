/**
 * Planning the local models could not do goes to the external tier through the gateway, as any escalation does.
 * Claude's subtasks come back as a proposal: a plan checked like any other and shown to the person, never run
 * without their approval.
 */
import {
  err,
  ESCALATION_LIMITS,
  ok,
  type Catalog,
  type EscalationRequestInput,
  type EscalationResponse,
  type Plan,
  type Result,
} from '@rigmind/protocol';
import { checkDraft, type CheckedDraft } from './check-draft.js';
import { catalogText, type DraftIssue } from './planner-prompt.js';
import type { PlanningCode, RefusedDraft } from './planner.js';

/** The trusted instructions for the external planner; the goal and the local drafts travel as untrusted data. */
export function planningInstructions(catalog: Catalog, why: string): string {
  return [
    "Plan the goal in the untrusted data labelled 'goal' for a local GPU rig, as subtasks: each task a shell command " +
      "or an LLM prompt for one of the rig's models, with depends_on between them, an estimate_s each, and " +
      'task_class and model set as the catalog says. Use only what the catalog below offers.',
    `The rig's own planning model could not: ${why}. Its refused drafts, if any, are in the untrusted data with the ` +
      "rig's validation errors; do not repeat their mistakes.",
    'The catalog of what this rig can do:',
    catalogText(catalog),
  ]
    .join('\n\n')
    .slice(0, ESCALATION_LIMITS.instructionsChars);
}

/** Why the planning is escalated, as the gateway's closed reasons say it. */
export function escalationReason(
  code: Exclude<PlanningCode, 'model_failed'>,
): 'requires_external' | 'repeated_failure' {
  return code === 'beyond_local' ? 'requires_external' : 'repeated_failure';
}

/** The escalation request for one ask: the goal and each refused draft as data, keyed so a resend pays once. */
export function planningRequest(options: {
  readonly askId: string;
  readonly goal: string;
  readonly catalog: Catalog;
  readonly code: Exclude<PlanningCode, 'model_failed'>;
  readonly why: string;
  readonly drafts: readonly RefusedDraft[];
  readonly model: string;
}): EscalationRequestInput {
  const drafts = options.drafts.slice(-ESCALATION_LIMITS.attempts);
  return {
    task: { task_id: `ask-${options.askId}`, name: 'plan', type: 'llm', task_class: 'llm' },
    reason: escalationReason(options.code),
    instructions: planningInstructions(options.catalog, options.why),
    untrusted: [
      { label: 'goal', content: options.goal.slice(0, ESCALATION_LIMITS.untrustedChars) },
      ...drafts.map((draft, index) => ({
        label: `local draft ${index + 1}`,
        content: `${draft.text.slice(0, 20_000)}\n\nrefused:\n${issueLines(draft.issues)}`,
      })),
    ].slice(0, ESCALATION_LIMITS.untrustedItems),
    attempts: drafts.map((draft, index) => ({
      attempt: index + 1,
      model: options.model,
      error_snippet: issueLines(draft.issues).slice(0, 2_000),
    })),
    max_tokens: 4_096,
    idempotency_key: `ask-${options.askId}`.slice(0, 128),
  };
}

const issueLines = (issues: readonly DraftIssue[]): string =>
  issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n');

/** Why Claude's advice is no plan: it declined, answered in prose, or proposed subtasks that fail validation. */
export type ProposalCode = 'declined' | 'no_proposal' | 'invalid_proposal';

/** A proposed plan (checked), or why there is none. */
export type ProposalResult = Result<
  Extract<CheckedDraft, { kind: 'plan' }> & { readonly rationale?: string },
  ProposalCode,
  { readonly issues: readonly DraftIssue[] }
>;

/** Claude's advice as a proposed plan named after the ask, checked as a submitted plan is. */
export function proposalFrom(
  response: EscalationResponse,
  askId: string,
  catalog: Catalog,
  defaultModel: string,
): ProposalResult {
  const advice = response.advice;
  if (advice === undefined)
    return err('no_proposal', `escalation ${response.id} ended ${response.state}`, { issues: [] });
  if (advice.type === 'decline') return err('declined', `the external tier declined: ${advice.reason}`, { issues: [] });
  if (advice.type === 'answer')
    return err('no_proposal', 'the external tier answered in prose, not with subtasks', { issues: [] });
  const plan: Plan = {
    plan: `ask-${askId.slice(0, 8)}`,
    description: 'proposed by the external tier (Claude) through the gateway',
    tasks: advice.tasks,
  };
  const checked = checkDraft(JSON.stringify({ beyond_local: false, reason: '', plan }), catalog, defaultModel);
  if (!checked.ok)
    return err('invalid_proposal', `the proposal is refused: ${checked.message}`, { issues: checked.issues });
  const value = checked.value;
  if (value.kind !== 'plan') return err('no_proposal', 'no plan in the proposal', { issues: [] });
  return ok({ ...value, ...(advice.rationale === undefined ? {} : { rationale: advice.rationale }) });
}
