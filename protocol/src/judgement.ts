/**
 * The brain's model judging a failure the rules cannot classify: what it is asked (a structured prompt, the error
 * output as untrusted data), the JSON schema its answer is constrained to (Ollama's `format`), and the rules that
 * dispose of its answer: the shape (zod) and the bounds of a fix. No I/O.
 */
import { z } from 'zod';
import { ok, err, type Result } from './result.js';
import { buildStructuredPrompt, type StructuredPrompt } from './structured-prompt.js';
import { TaskClassSchema } from './task.js';

/** The four ways the brain's model may choose. */
export const JudgementDecisionSchema = z.enum(['retry', 'fix', 'escalate', 'give_up']);
/** One of the four ways. */
export type JudgementDecision = z.infer<typeof JudgementDecisionSchema>;

/** What a fix may change in a task's definition; `command` only under the rig's policy (judge.allow_command_change). */
export const JudgementFixSchema = z.strictObject({
  timeout_s: z.number().positive().max(86_400).optional(),
  estimate_s: z.number().positive().max(86_400).optional(),
  model: z.string().min(1).max(200).optional(),
  task_class: TaskClassSchema.exclude(['resource']).optional(),
  prompt: z.string().min(1).max(20_000).optional(),
  command: z.string().min(1).max(20_000).optional(),
});
/** A fix as the model proposes it. */
export type JudgementFix = z.infer<typeof JudgementFixSchema>;

/** The model's answer: its choice, why, how sure it is, and the fix or the reason to give up that goes with it. */
export const JudgementSchema = z.strictObject({
  decision: JudgementDecisionSchema,
  reasoning: z.string().min(1).max(4_000),
  confidence: z.number().min(0).max(1),
  fix: JudgementFixSchema.optional(),
  reason: z.string().max(1_000).optional(),
});
/** A judgement. */
export type Judgement = z.infer<typeof JudgementSchema>;

/** The JSON schema sent as Ollama's `format`, so the model can only answer in the judgement's shape. */
export const JUDGEMENT_FORMAT: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  properties: {
    decision: { type: 'string', enum: JudgementDecisionSchema.options },
    reasoning: { type: 'string' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    fix: {
      type: 'object',
      properties: {
        timeout_s: { type: 'number' },
        estimate_s: { type: 'number' },
        model: { type: 'string' },
        task_class: { type: 'string', enum: ['cpu', 'script', 'llm'] },
        prompt: { type: 'string' },
        command: { type: 'string' },
      },
    },
    reason: { type: 'string' },
  },
  required: ['decision', 'reasoning', 'confidence'],
});

/** The trusted instructions of a judgement. */
export const JUDGE_INSTRUCTIONS = [
  'You are the brain of rigmind, a local GPU rig. A task failed in a way the rig cannot classify by its rules. ' +
    'Read the task in the <task> part and its error output in the data block, and choose one way on:',
  '"retry": the failure looks transient (a flaky network, a busy resource); "fix": the task definition is wrong ' +
    'and a change to it would work (put only the changed fields in "fix": timeout_s, estimate_s, model, ' +
    'task_class, prompt, or command); "escalate": the local models cannot do it and a stronger model should; ' +
    '"give_up": it cannot succeed (put why in "reason").',
  'Reply with one JSON object only: {"decision": ..., "reasoning": "<why, briefly>", "confidence": <0 to 1>, ' +
    '"fix": {...}, "reason": "..."}. An unsure judgement goes to a person or a stronger model instead of being ' +
    'applied.',
];

/** The task as the judge is shown it: its definition, never its data. */
export interface JudgedTask {
  readonly name: string;
  readonly type: string;
  readonly task_class: string;
  readonly command: string | null;
  readonly prompt: string | null;
  readonly model: string | null;
  readonly timeout_s: number;
  readonly estimate_s: number | null;
  readonly attempts: number;
  readonly failure: string;
}

/** The structured prompt of a judgement: the error output is untrusted data, whatever it says. */
export function judgementPrompt(task: JudgedTask, errorOutput: string, models: readonly string[], marker: string) {
  const definition = {
    name: task.name,
    type: task.type,
    task_class: task.task_class,
    ...(task.command === null ? {} : { command: task.command }),
    ...(task.prompt === null ? {} : { prompt: task.prompt }),
    ...(task.model === null ? {} : { model: task.model }),
    timeout_s: task.timeout_s,
    estimate_s: task.estimate_s,
    attempts: task.attempts,
    failure: task.failure,
  };
  const prompt: StructuredPrompt = buildStructuredPrompt(
    {
      instructions: [...JUDGE_INSTRUCTIONS, `Models the rig has: ${models.join(', ')}.`],
      task: `The failed task's definition (JSON):\n${JSON.stringify(definition, null, 2)}`,
      data: [{ label: 'error output of the failed attempt', content: errorOutput }],
      closing: 'Judge the failure now, as one JSON object.',
    },
    marker,
  );
  return prompt;
}

/** Why a reply is no usable judgement. */
export type JudgementParseCode = 'not_json' | 'invalid_judgement';

/** The judgement in a model's reply, validated, or why it is unusable. */
export function parseJudgement(text: string): Result<Judgement, JudgementParseCode> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err('not_json', 'the reply is not JSON');
  }
  const parsed = JudgementSchema.safeParse(value);
  if (!parsed.success) return err('invalid_judgement', parsed.error.issues.map((issue) => issue.message).join('; '));
  if (parsed.data.decision === 'fix' && Object.keys(parsed.data.fix ?? {}).length === 0)
    return err('invalid_judgement', 'a fix changes nothing');
  return ok(parsed.data);
}

/** What bounds a fix: the models the rig has and the task's type. A change of command is the decision rule's. */
export interface FixBounds {
  readonly models: readonly string[];
  readonly type: 'shell' | 'llm';
}

/** Why a fix is out of bounds. */
export type FixRefusal = 'unknown_model' | 'wrong_type';

/**
 * The fix as it may be applied, or why it may not: a model the rig has, fields the task's type has. Whether its
 * command may change is not decided here but by `mayDecide` (protocol/src/decision-rule.ts): the person's approval.
 */
export function boundFix(fix: JudgementFix, bounds: FixBounds): Result<JudgementFix, FixRefusal> {
  if (fix.model !== undefined && !bounds.models.includes(fix.model))
    return err('unknown_model', `model '${fix.model}' is not one the rig has (${bounds.models.join(', ')})`);
  if (fix.command !== undefined && bounds.type !== 'shell') return err('wrong_type', 'an llm task has no command');
  if ((fix.prompt !== undefined || fix.model !== undefined) && bounds.type !== 'llm')
    return err('wrong_type', 'a shell task has no prompt or model');
  // As plan validation says (class_mismatch): an llm task needs the LLM loaded.
  if (fix.task_class !== undefined && bounds.type === 'llm' && fix.task_class !== 'llm')
    return err('wrong_type', `an llm task's class must be llm, not ${fix.task_class}`);
  return ok(fix);
}

/** A one-line note of what a fix changed, for the task's `fix_applied`. */
export function fixNote(fix: JudgementFix): string {
  const parts = Object.entries(fix).map(([key, value]) =>
    typeof value === 'string' && value.length > 60 ? `${key} rewritten` : `${key}=${String(value)}`,
  );
  return `brain model: ${parts.join(', ')}`;
}

/** How a judgement ended: applied, escalated for low confidence, refused by the rules, unusable, or not answered. */
export const JudgementOutcomeSchema = z.enum(['applied', 'low_confidence', 'refused', 'unusable', 'no_answer']);
/** How a judgement ended. */
export type JudgementOutcome = z.infer<typeof JudgementOutcomeSchema>;

/** A judgement as the rig records it on the task (and `status` shows it): what was proposed and what was done. */
export const JudgementNoteSchema = z.strictObject({
  /** The attempt whose failure was judged. */
  attempt: z.int().min(1),
  /** Judgements of this task so far, this one included (bounded by judge.max_per_task). */
  count: z.int().min(1),
  decision: JudgementDecisionSchema.nullable(),
  confidence: z.number().min(0).max(1).nullable(),
  reasoning: z.string().nullable(),
  outcome: JudgementOutcomeSchema,
  /** Why it was refused or unusable, or what the rules did instead. */
  why: z.string().optional(),
  /** What a fix changed (also the task's fix_applied). */
  fix: z.string().optional(),
  /** A give_up's reason. */
  reason: z.string().optional(),
});
/** A recorded judgement. */
export type JudgementNote = z.infer<typeof JudgementNoteSchema>;
