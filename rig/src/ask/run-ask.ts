/**
 * One ask, from goal to a plan to show: the local loop first; what it cannot settle goes through the gateway, whose
 * answer is a proposal. Nothing here submits or dispatches anything: that is the person's call, then the brain's.
 */
import { err, ok, type Plan, type Result } from '@rigmind/protocol';
import type { GatewayClient } from '../escalation/gateway-client.js';
import type { ResolvedPlan } from '../plan/resolve-plan.js';
import { planningRequest, proposalFrom, type ProposalCode } from './escalate-plan.js';
import { type PlanFromGoalOptions, planFromGoal } from './planner.js';

/** A plan to show: drafted locally (after some repairs), or proposed by the external tier. */
export type AskPlan =
  | { readonly origin: 'local'; readonly plan: Plan; readonly resolved: ResolvedPlan; readonly repairs: number }
  | {
      readonly origin: 'external';
      readonly plan: Plan;
      readonly resolved: ResolvedPlan;
      readonly escalationId: string;
      readonly why: string;
      readonly rationale?: string;
    };

/**
 * Why an ask ends without a plan: the planning model cannot be reached, is not installed, or failed otherwise; the
 * local loop gave up and no gateway is configured; the gateway has not settled (try again) or failed; or Claude's
 * advice is no usable plan.
 */
export type AskCode =
  | 'planner_unreachable'
  | 'planner_model_missing'
  | 'planner_failed'
  | 'no_local_plan'
  | 'escalation_unsettled'
  | 'escalation_failed'
  | ProposalCode;

/** An ask's outcome; `retryable` says whether the same ask may succeed later unchanged. */
export type AskResult = Result<AskPlan, AskCode, { readonly retryable: boolean }>;

/** What an ask needs: what the local loop needs, plus its id and the gateway to escalate to. */
export interface AskOptions extends PlanFromGoalOptions {
  readonly askId: string;
  /** The gateway, when the config names one; without it a goal the local loop cannot plan ends there. */
  readonly gateway: GatewayClient | undefined;
}

/** Plan `goal`: locally, else through the gateway. */
export async function runAsk(options: AskOptions): Promise<AskResult> {
  const { conversation } = options;
  const local = await planFromGoal(options);
  if (local.ok) return ok({ origin: 'local', ...local.value });
  if (local.code === 'model_failed') {
    const code =
      local.ollamaCode === 'model_not_found'
        ? 'planner_model_missing'
        : local.ollamaCode === 'ollama_unreachable' || local.ollamaCode === 'timeout'
          ? 'planner_unreachable'
          : 'planner_failed';
    return err(code, local.message, { retryable: code === 'planner_unreachable' });
  }
  if (options.gateway === undefined)
    return err(
      'no_local_plan',
      `${local.message}; no gateway is configured (escalation.gateway_url), so the planning cannot be escalated`,
      { retryable: false },
    );
  const request = planningRequest({ ...options, code: local.code, why: local.message, drafts: local.drafts });
  conversation.add('escalation', { code: request.reason, text: `escalated: ${local.message}` });
  const sent = await options.gateway.escalate(request);
  if (!sent.ok) {
    conversation.add('escalation', { code: sent.code, text: sent.message });
    const id = sent.escalationId === undefined ? '' : ` (escalation ${sent.escalationId}; rigmind escalate --id)`;
    return err(sent.retryable ? 'escalation_unsettled' : 'escalation_failed', `gateway: ${sent.message}${id}`, {
      retryable: sent.retryable,
    });
  }
  const response = sent.value.response;
  conversation.add('escalation', {
    code: response.advice?.type ?? response.state,
    text: JSON.stringify(response.advice ?? response.error ?? {}),
    ...(response.model === undefined ? {} : { model: response.model }),
  });
  const proposal = proposalFrom(response, options.askId, options.catalog, options.defaultModel);
  if (!proposal.ok) {
    if (proposal.issues.length > 0) conversation.add('invalid', { issues: [...proposal.issues] });
    return err(proposal.code, proposal.message, { retryable: false });
  }
  return ok({
    origin: 'external',
    plan: proposal.value.plan,
    resolved: proposal.value.resolved,
    escalationId: response.id,
    why: local.message,
    ...(proposal.value.rationale === undefined ? {} : { rationale: proposal.value.rationale }),
  });
}
