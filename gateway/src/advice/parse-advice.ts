import { AdviceSchema, formatPath, type Advice } from '@rigmind/protocol';

/** Advice parsed from a reply, or what is wrong with the reply (sent back once for repair). */
export type ParsedAdvice = { readonly ok: true; readonly advice: Advice } | { readonly ok: false; readonly problem: string };

/**
 * Parse Claude's reply text as advice: one JSON object (code fences tolerated), valid against AdviceSchema,
 * whose subtasks never ask for the brain's own resource work. AdviceSchema has no dispatch variant at all.
 */
export function parseAdvice(text: string): ParsedAdvice {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return { ok: false, problem: 'the reply holds no JSON object' };
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    return { ok: false, problem: `the reply is not valid JSON: ${(error as Error).message}` };
  }
  const parsed = AdviceSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    return { ok: false, problem: `the JSON does not match the advice format: ${issues.join('; ')}` };
  }
  const advice = parsed.data;
  if (advice.type === 'subtasks') {
    const bad = advice.tasks.flatMap((task, index) => (task.task_class === 'resource' ? [`tasks[${index}].task_class`] : []));
    if (bad.length > 0) return { ok: false, problem: `task_class "resource" is reserved for the rig's brain (${bad.join(', ')})` };
  }
  return { ok: true, advice };
}
