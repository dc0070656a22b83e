import type { PlanIssue } from './plan-issue.js';

/**
 * Human lines for plan issues, one per issue, like
 * `plan.md:14: task 'embed' (#3): depends_on[0]: unknown dependency 'segmnt'`.
 * Task numbers are 1-based (the third task is #3) because people count sections that way;
 * the field path is shown relative to the task.
 */
export function formatPlanIssues(issues: readonly PlanIssue[], file?: string): string[] {
  return issues.map((issue) => {
    const where = file ?? issue.file;
    const location = where === undefined ? '' : issue.line === undefined ? `${where}: ` : `${where}:${issue.line}: `;
    const subject = describeTask(issue);
    const field = relativePath(issue);
    return `${location}${subject}${field === '' ? '' : `${field}: `}${issue.message}`;
  });
}

function describeTask(issue: PlanIssue): string {
  if (issue.index === undefined) return issue.task === undefined ? '' : `task '${issue.task}': `;
  const number = `#${issue.index + 1}`;
  return issue.task === undefined ? `task ${number}: ` : `task '${issue.task}' (${number}): `;
}

function relativePath(issue: PlanIssue): string {
  if (issue.index === undefined) return issue.path === '(root)' ? '' : issue.path;
  const prefix = `tasks[${issue.index}]`;
  if (!issue.path.startsWith(prefix)) return issue.path;
  const rest = issue.path.slice(prefix.length);
  return rest.startsWith('.') ? rest.slice(1) : rest;
}
