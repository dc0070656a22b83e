import { err, type Err, type Result } from '@rigmind/protocol';
import type { PlanIssue } from './plan-issue.js';

/**
 * Why a plan is refused, as a whole: the file has no known extension, cannot be read or is not UTF-8; its text
 * does not parse; or the plan it holds breaks the schema or the graph rules. The issues say where, one by one.
 */
export type PlanFailureCode = 'unknown_format' | 'unreadable' | 'invalid_utf8' | 'unparsable' | 'invalid_plan';

/** What every plan failure carries: each problem with its path and, for text, its line. */
export interface PlanIssues {
  readonly issues: PlanIssue[];
}

/** A plan step's result: `T`, or a failure with code `C` and its issues. */
export type PlanResult<T, C extends PlanFailureCode> = Result<T, C, PlanIssues>;

/** A plan failure; its message is the first issue's, with a count of the rest. */
export function planFailure<const C extends PlanFailureCode>(code: C, issues: PlanIssue[]): Err<C, PlanIssues> {
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
  return err(code, `${issues[0]?.message ?? 'the plan is refused'}${more}`, { issues });
}
