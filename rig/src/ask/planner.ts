/**
 * The planning loop: the brain's model drafts a plan from a goal and the catalog; each draft is checked as a
 * submitted plan is; a refused draft goes back with its issues, a bounded number of times. What the loop cannot
 * settle (the model says the goal is beyond it, or every repair failed) is for the caller to escalate.
 */
import { err, ok, PLANNER_FORMAT, type Catalog, type Err, type Ok, type Plan } from '@rigmind/protocol';
import type { OllamaClient } from '../ollama/ollama-client.js';
import type { OllamaErrorCode, OllamaResult } from '../ollama/ollama-result.js';
import type { ChatMessage } from '../ollama/ollama-schemas.js';
import { chatMessages } from '../ollama/task-prompt.js';
import type { ResolvedPlan } from '../plan/resolve-plan.js';
import { checkDraft } from './check-draft.js';
import type { Conversation } from './conversation.js';
import { plannerPrompt, repairTurn, type DraftIssue } from './planner-prompt.js';

/** One turn with the planning model: the messages so far and the JSON schema of the reply; its text back. */
export type PlannerChat = (
  messages: readonly ChatMessage[],
  format: Readonly<Record<string, unknown>>,
) => Promise<OllamaResult<{ readonly text: string }>>;

/** Most issues one repair turn lists: a draft broken everywhere is better redrafted than itemised. */
export const MAX_LISTED_ISSUES = 20;

/** What the loop needs. */
export interface PlanFromGoalOptions {
  readonly goal: string;
  readonly catalog: Catalog;
  /** The planning model, for the record (the chat already talks to it). */
  readonly model: string;
  /** The model an llm task without one runs on (config default_llm_model), which the catalog must list. */
  readonly defaultModel: string;
  readonly maxRepairs: number;
  /** A fresh marker for this conversation (every turn of it is one call's context). */
  readonly marker: string;
  readonly chat: PlannerChat;
  readonly conversation: Conversation;
}

/** A refused draft: the model's text and why it was refused. */
export interface RefusedDraft {
  readonly text: string;
  readonly issues: readonly DraftIssue[];
}

/** A plan that passed validation. */
export interface DraftedPlan {
  readonly plan: Plan;
  readonly resolved: ResolvedPlan;
  /** Repair turns it took (0: the first draft passed). */
  readonly repairs: number;
}

/** Why the loop produced no plan: the model could not be asked, said the goal is beyond it, or never got it right. */
export type PlanningCode = 'model_failed' | 'beyond_local' | 'repairs_exhausted';

/** The loop's outcome; every failure carries the refused drafts (for the escalation) and the reason. */
export type PlanningResult =
  | Ok<DraftedPlan>
  | Err<'model_failed', { readonly ollamaCode: OllamaErrorCode; readonly drafts: readonly RefusedDraft[] }>
  | Err<'beyond_local' | 'repairs_exhausted', { readonly drafts: readonly RefusedDraft[] }>;

/** Run the loop: a first draft and at most `maxRepairs` repairs. */
export async function planFromGoal(options: PlanFromGoalOptions): Promise<PlanningResult> {
  const { goal, catalog, model, conversation, marker } = options;
  const prompt = plannerPrompt(goal, catalog, marker);
  conversation.add('goal', { text: goal });
  conversation.add('prompt', { model, text: `${prompt.system}\n\n${prompt.user}` });
  const messages = chatMessages(prompt);
  const drafts: RefusedDraft[] = [];
  for (let turn = 0; turn <= options.maxRepairs; turn += 1) {
    const reply = await options.chat(messages, PLANNER_FORMAT);
    if (!reply.ok) {
      conversation.add('model_error', { model, code: reply.code, text: reply.message });
      return err('model_failed', `${model}: ${reply.message}`, { ollamaCode: reply.code, drafts });
    }
    const text = reply.value.text;
    conversation.add('reply', { model, text });
    const checked = checkDraft(text, catalog, options.defaultModel);
    if (checked.ok) {
      const draft = checked.value;
      if (draft.kind === 'plan') return ok({ plan: draft.plan, resolved: draft.resolved, repairs: turn });
      conversation.add('beyond_local', { model, text: draft.reason });
      return err('beyond_local', `${model} says the goal is beyond the local models: ${draft.reason}`, { drafts });
    }
    const issues = checked.issues.slice(0, MAX_LISTED_ISSUES);
    drafts.push({ text, issues });
    conversation.add('invalid', { issues });
    if (turn === options.maxRepairs) break;
    const repair = repairTurn(issues, options.maxRepairs - turn - 1, marker);
    messages.push({ role: 'assistant', content: text }, { role: 'user', content: repair });
    conversation.add('repair', { text: repair });
  }
  const last = drafts.at(-1);
  return err(
    'repairs_exhausted',
    `no valid plan after ${options.maxRepairs} repair(s); the last draft: ${last?.issues[0]?.path ?? ''}: ` +
      `${last?.issues[0]?.message ?? ''}`,
    { drafts },
  );
}

/** The loop's chat over Ollama's /api/chat: one JSON reply per turn, constrained by `format`, deterministic. */
export function ollamaPlannerChat(client: OllamaClient, model: string, timeoutMs: number): PlannerChat {
  return async (messages, format) => {
    const reply = await client.chat({
      model,
      messages,
      format,
      stream: false,
      timeoutMs,
      options: { temperature: 0 },
    });
    return reply.ok ? ok({ text: reply.value.text }) : reply;
  };
}
