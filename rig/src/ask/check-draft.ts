import { err, ok, toIssues, type Catalog, type Plan, type Result } from '@rigmind/protocol';
import { z } from 'zod';
import { parsePlanText } from '../plan/parse-plan.js';
import { resolvePlan, type ResolvedPlan } from '../plan/resolve-plan.js';
import type { DraftIssue } from './planner-prompt.js';

/** A draft that passed: the plan and its resolution, or the model's word that the goal is beyond it. */
export type CheckedDraft =
  | { readonly kind: 'plan'; readonly plan: Plan; readonly resolved: ResolvedPlan }
  | { readonly kind: 'beyond_local'; readonly reason: string };

/** A draft checked as a submitted plan is, or every issue found (paths within the reply). */
export type DraftResult = Result<CheckedDraft, 'invalid_draft', { readonly issues: DraftIssue[] }>;

/**
 * The reply's envelope, loosely: the plan inside it is checked by the plan's own validator, which knows more fields
 * than the planner's format offers (a model may add a valid `priority`).
 */
const ReplyEnvelopeSchema = z.object({
  beyond_local: z.boolean().default(false),
  reason: z.string().default(''),
  plan: z.unknown(),
});

/**
 * Check a planning model's reply as `rigmind submit` checks a plan file (parsePlanText: the protocol's schema and the
 * graph; then resolvePlan: defaults, class inference, order), and that it uses only the catalog's models.
 */
export function checkDraft(text: string, catalog: Catalog, defaultModel: string): DraftResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return invalid([{ path: '(root)', message: `not JSON: ${(error as Error).message}` }]);
  }
  const envelope = ReplyEnvelopeSchema.safeParse(raw);
  if (!envelope.success) return invalid(toIssues(envelope.error));
  const { beyond_local: beyond, reason, plan: draft } = envelope.data;
  if (beyond) return ok({ kind: 'beyond_local', reason: reason.trim() === '' ? 'no reason given' : reason });
  const parsed = parsePlanText(JSON.stringify(draft ?? null), 'json');
  if (!parsed.ok) return invalid(parsed.issues.map((issue) => ({ path: within(issue.path), message: issue.message })));
  const resolved = resolvePlan(parsed.value.plan);
  if (!resolved.ok)
    return invalid(resolved.issues.map((issue) => ({ path: within(issue.path), message: issue.message })));
  const unknown = unknownModels(parsed.value.plan, resolved.value, catalog, defaultModel);
  if (unknown.length > 0) return invalid(unknown);
  return ok({ kind: 'plan', plan: parsed.value.plan, resolved: resolved.value });
}

function invalid(issues: DraftIssue[]): DraftResult {
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  const first = issues[0];
  return err('invalid_draft', `${first === undefined ? 'refused' : `${first.path}: ${first.message}`}${more}`, {
    issues,
  });
}

const within = (path: string): string => (path === '(root)' ? 'plan' : `plan.${path}`);

/** Models the catalog does not list: an llm task's among its models, a script task's among its commands' models. */
function unknownModels(plan: Plan, resolved: ResolvedPlan, catalog: Catalog, defaultModel: string): DraftIssue[] {
  const llm = new Set(catalog.models.map((model) => model.name));
  const scripts = new Set(catalog.commands.flatMap((command) => (command.model === undefined ? [] : [command.model])));
  const issues: DraftIssue[] = [];
  // Resolved tasks are in dependency order; a path names a task by its place in the draft.
  const indexOf = new Map(plan.tasks.map((task, index) => [task.name, index]));
  for (const task of resolved.tasks) {
    const at = `plan.tasks[${indexOf.get(task.name) ?? '?'}].model`;
    if (task.type === 'llm') {
      const model = task.model ?? defaultModel;
      if (!llm.has(model))
        issues.push({
          path: at,
          message: `model '${model}' is not in the catalog; use one of ${listed(llm)}`,
        });
    } else if (task.task_class === 'script' && task.model !== undefined && !scripts.has(task.model))
      issues.push({
        path: at,
        message: `script model '${task.model}' is not in the catalog; use one of ${listed(scripts)}`,
      });
  }
  return issues;
}

const listed = (names: ReadonlySet<string>): string => [...names].join(', ') || '(none)';
