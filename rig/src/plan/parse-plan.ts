import { ok, type Plan, type TaskDefaults } from '@rigmind/protocol';
import { parseMarkdownPlan } from './parse-markdown.js';
import { parseJsonText, parseYamlText, type RawParse } from './parse-text.js';
import type { IssueContext, LineMap, PlanIssue } from './plan-issue.js';
import { planFailure, type PlanFailureCode, type PlanResult } from './plan-result.js';
import { resolveTasks } from './resolve-plan.js';
import { checkPlanSchema } from './schema-issues.js';

/** The formats a plan may be written in. */
export type PlanFormat = 'json' | 'yaml' | 'md';

/** A plan that passed the protocol's schema, with the line of each path when it came from text. */
export interface ParsedPlan {
  readonly plan: Plan;
  readonly lines?: LineMap;
}

/**
 * A parsed plan, or every issue found; a plan file adds the codes of reading it (unknown_format, unreadable,
 * invalid_utf8).
 */
export type PlanParseResult = PlanResult<ParsedPlan, PlanFailureCode>;

/**
 * Parse plan text (JSON, YAML or plan.md) and check it against the protocol's schema. Issues carry
 * lines. When the schema fails, the graph checks of resolvePlan still run on the valid remainder, so
 * one pass reports a typo in a field and an unknown dependency together. Never throws on bad input.
 */
export function parsePlanText(text: string, format: PlanFormat, file?: string): PlanParseResult {
  const context: IssueContext = { file };
  let raw: RawParse;
  if (format === 'json') raw = parseJsonText(text, context);
  else if (format === 'yaml') raw = parseYamlText(text, context);
  else raw = parseMarkdownPlan(text, context);
  if (!raw.ok) return raw;

  const { lines } = raw.value;
  const located: IssueContext = { file, lines };
  const early = raw.value.issues ?? [];
  const checked = checkPlanSchema(raw.value.raw, located);
  if (checked.ok && early.length === 0) return ok({ plan: checked.value, lines });
  const known = checked.ok ? early : [...early, ...checked.issues];
  const remainder = checked.ok ? { tasks: checked.value.tasks, defaults: checked.value.defaults } : checked.salvage;
  // A document that parsed at all is an invalid plan, even when one plan.md block did not parse: its issues say so.
  if (!remainder) return planFailure('invalid_plan', sortIssues(known));
  const more = resolveTasks(remainder.tasks, remainder.defaults as TaskDefaults | undefined, located).issues;
  // A graph issue on a field already refused would only repeat it.
  const fresh = more.filter((issue) => !known.some((seen) => covers(seen.path, issue.path)));
  return planFailure('invalid_plan', sortIssues([...known, ...fresh]));
}

function covers(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}

/** Issues in file order (by line, then as found), so a reader can work down the file. */
export function sortIssues(issues: PlanIssue[]): PlanIssue[] {
  return issues
    .map((issue, order) => ({ issue, order }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.order - b.order)
    .map(({ issue }) => issue);
}
