import { AdviceSchema, err, formatPath, ok, type Advice, type Result } from '@rigmind/protocol';
import { z } from 'zod';

/** The one tool Claude is given, and forced to call: its input is the advice. */
export const ADVICE_TOOL_NAME = 'give_advice';

/** A tool as the Messages API declares it. */
export interface ToolDeclaration {
  readonly name: string;
  readonly description: string;
  readonly input_schema: { readonly type: 'object' } & Record<string, unknown>;
}

// The API wants an object schema at the top; AdviceSchema is a union of objects, so `type: object` alongside
// its `oneOf` says the same thing. `$schema` is dropped: the API's own dialect applies.
const { $schema: _dialect, type: _none, ...adviceJsonSchema } = z.toJSONSchema(AdviceSchema);

/** The advice tool: `input_schema` is the protocol's AdviceSchema as JSON Schema, so the API shapes the reply. */
export const ADVICE_TOOL: ToolDeclaration = {
  name: ADVICE_TOOL_NAME,
  description:
    "Give the rig's brain your advice on the escalated task: an answer, proposed subtasks, or a decline with the " +
    'reason. Call it exactly once; the input is all the brain receives.',
  input_schema: { ...adviceJsonSchema, type: 'object' },
};

/** Why a reply is no advice: it called no tool, its input breaks the schema, or its subtasks ask for resource work. */
export type ToolAdviceCode = 'no_tool_call' | 'invalid_input' | 'reserved_class';

/** Advice read from a tool input, or what is wrong with the input (the message, sent back once, budget permitting). */
export type ToolAdvice = Result<Advice, ToolAdviceCode>;

/**
 * Validate a tool input as advice with zod: the schema the API was given, plus the rule JSON Schema cannot
 * carry (subtasks never ask for the brain's own resource work). AdviceSchema has no dispatch variant at all.
 */
export function adviceFromToolInput(input: unknown): ToolAdvice {
  if (input === undefined) return err('no_tool_call', `the reply did not call ${ADVICE_TOOL_NAME}`);
  const parsed = AdviceSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    return err('invalid_input', `the ${ADVICE_TOOL_NAME} input does not match its schema: ${issues.join('; ')}`);
  }
  const advice = parsed.data;
  if (advice.type === 'subtasks') {
    const bad = advice.tasks.flatMap((task, index) =>
      task.task_class === 'resource' ? [`tasks[${index}].task_class`] : [],
    );
    if (bad.length > 0) {
      return err('reserved_class', `task_class "resource" is reserved for the rig's brain (${bad.join(', ')})`);
    }
  }
  return ok(advice);
}
