/** Stable codes for what is wrong with a plan; tools and tests match on these, never on the message. */
export const PLAN_ISSUE_CODES = [
  'parse_error',
  'unknown_format',
  'unreadable_file',
  'invalid_utf8',
  'empty_plan',
  'invalid_field',
  'unknown_field',
  'missing_field',
  'priority_out_of_range',
  'duplicate_name',
  'unknown_dependency',
  'self_dependency',
  'cycle',
  'missing_command',
  'missing_prompt',
  'ambiguous_type',
  'type_mismatch',
  'class_mismatch',
  'resource_class',
  'invalid_input',
  'input_not_dependency',
  'input_without_output',
  'unknown_input',
] as const;
/** One of the stable plan issue codes. */
export type PlanIssueCode = (typeof PLAN_ISSUE_CODES)[number];

/**
 * One problem in a plan. `path` is the full path in the plan (`tasks[3].depends_on[0]`); `index` is the task's
 * 0-based position (the same number as in the path); `line` is 1-based in `file` when the plan came from text.
 */
export interface PlanIssue {
  readonly code: PlanIssueCode;
  readonly path: string;
  readonly message: string;
  readonly task?: string;
  readonly index?: number;
  readonly line?: number;
  readonly file?: string;
}

/** Where a path's value sits in the source: path as `formatPath` writes it, to a 1-based line. */
export type LineMap = ReadonlyMap<string, number>;

const TASK_PATH = /^tasks\[(\d+)\]/;

/** The task index a path points into, if it points into one. */
export function taskIndexOf(path: string): number | undefined {
  const match = TASK_PATH.exec(path);
  return match ? Number(match[1]) : undefined;
}

/** The line of `path`, or of its nearest ancestor that has one (a missing field is reported at its task). */
export function lineOf(lines: LineMap | undefined, path: string): number | undefined {
  if (!lines) return undefined;
  let current = path;
  for (;;) {
    const line = lines.get(current);
    if (line !== undefined) return line;
    const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
    if (cut <= 0) return lines.get('(root)');
    current = current.slice(0, cut);
  }
}

/** Where issues are reported: the source's line map and file name, both optional. */
export interface IssueContext {
  readonly lines?: LineMap | undefined;
  readonly file?: string | undefined;
}

/** Build an issue, filling in line and file from the context and dropping absent optional fields. */
export function makeIssue(
  context: IssueContext,
  fields: { code: PlanIssueCode; path: string; message: string; task?: string | undefined; index?: number | undefined },
): PlanIssue {
  const line = lineOf(context.lines, fields.path);
  return {
    code: fields.code,
    path: fields.path,
    message: fields.message,
    ...(fields.task !== undefined ? { task: fields.task } : {}),
    ...(fields.index !== undefined ? { index: fields.index } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(context.file !== undefined ? { file: context.file } : {}),
  };
}
