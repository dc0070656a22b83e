import { ok, type Plan, type TaskDefaults } from '@rigmind/protocol';
import type { IssueContext, LineMap, PlanIssue } from './plan-issue.js';
import { planFailure, type PlanResult } from './plan-result.js';
import { PlanCheck } from './plan-check.js';
import type { LooseTask, ResolvedTask } from './resolve-fields.js';

export { TASK_DEFAULTS, type LooseTask, type ResolvedTask } from './resolve-fields.js';

/** A plan's tasks in a dependencies-first order, and the auto-fixes applied to them. */
export interface ResolvedPlan {
  readonly tasks: ResolvedTask[];
  readonly fixes: string[];
}

/** The resolved tasks, or every issue found (`invalid_plan`). */
export type ResolveResult = PlanResult<ResolvedPlan, 'invalid_plan'>;

/** Where a plan came from, so issues can name lines; the brain resolves without either. */
export interface ResolveOptions {
  readonly lines?: LineMap | undefined;
  readonly file?: string | undefined;
}

/**
 * Apply defaults, infer missing types and classes (the seed's auto-fix), check names and the dependency
 * graph, and order the tasks dependencies-first (file order where free). Every issue is collected.
 * The brain calls this on every submission, so it is linear apart from a heap: 10,000 tasks take milliseconds.
 */
export function resolvePlan(plan: Plan, options: ResolveOptions = {}): ResolveResult {
  const { issues, tasks, fixes } = resolveTasks(plan.tasks, plan.defaults, options);
  return issues.length > 0 ? planFailure('invalid_plan', issues) : ok({ tasks, fixes });
}

/** The checks and resolution behind {@link resolvePlan}, also run on the salvage of a plan that failed its schema. */
export function resolveTasks(
  planTasks: readonly LooseTask[],
  defaults: TaskDefaults | undefined,
  context: IssueContext,
): { issues: PlanIssue[]; tasks: ResolvedTask[]; fixes: string[] } {
  const check = new PlanCheck(defaults, context);
  check.add(planTasks);
  return check.finish();
}
