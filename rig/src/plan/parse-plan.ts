import type { Plan, TaskDefaults } from '@rigmind/protocol';
import { parseMarkdownPlan } from './parse-markdown.js';
import { parseJsonText, parseYamlText, type RawParse } from './parse-text.js';
import type { IssueContext, LineMap, PlanIssue } from './plan-issue.js';
import { resolveTasks } from './resolve-plan.js';
import { checkPlanSchema } from './schema-issues.js';

/** The formats a plan may be written in. */
export type PlanFormat = 'json' | 'yaml' | 'md';

/** A plan that passed the protocol's schema, with the line of each path, or every issue found. */
export type PlanParseResult =
  | { readonly ok: true; readonly plan: Plan; readonly lines?: LineMap }
  | { readonly ok: false; readonly issues: PlanIssue[] };

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
  if (!raw.ok) return { ok: false, issues: raw.issues };

  const located: IssueContext = { file, lines: raw.lines };
  const early = raw.issues ?? [];
  const checked = checkPlanSchema(raw.raw, located);
  if (checked.ok && early.length === 0) return { ok: true, plan: checked.plan, lines: raw.lines };
  const known = checked.ok ? early : [...early, ...checked.issues];
  const remainder = checked.ok ? { tasks: checked.plan.tasks, defaults: checked.plan.defaults } : checked.salvage;
  if (!remainder) return { ok: false, issues: sortIssues(known) };
  const more = resolveTasks(remainder.tasks, remainder.defaults as TaskDefaults | undefined, located).issues;
  // A graph issue on a field already refused would only repeat it.
  const fresh = more.filter((issue) => !known.some((seen) => covers(seen.path, issue.path)));
  return { ok: false, issues: sortIssues([...known, ...fresh]) };
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
