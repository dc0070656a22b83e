import { z } from 'zod';
import {
  ExecutorSchema,
  InputNameSchema,
  MAX_TASK_IMAGES,
  PrioritySchema,
  TaskClassSchema,
  TaskNameSchema,
  TaskPathSchema,
  TaskTypeSchema,
} from './task.js';

/** An input as a plan states it: a `file`, or the output of a task it depends on (`from`); exactly one. */
export const PlanInputSchema = z.strictObject({ file: TaskPathSchema.optional(), from: TaskNameSchema.optional() });
/** A plan task's input. */
export type PlanInput = z.infer<typeof PlanInputSchema>;

/** Fields only a task itself may set: what it reads and writes is its own. */
const ioShape = {
  inputs: z.record(InputNameSchema, PlanInputSchema).optional(),
  output: TaskPathSchema.optional(),
  images: z.array(TaskPathSchema).max(MAX_TASK_IMAGES).optional(),
  confidence: z.boolean().optional(),
};

/** Fields a plan may set on every task through `defaults`. */
const taskFieldShape = {
  type: TaskTypeSchema.optional(),
  command: z.string().min(1, { error: 'command cannot be empty' }).optional(),
  prompt: z.string().min(1, { error: 'prompt cannot be empty' }).optional(),
  model: z.string().min(1).optional(),
  task_class: TaskClassSchema.optional(),
  executor: ExecutorSchema.optional(),
  priority: PrioritySchema.optional(),
  max_retries: z.int().min(0).max(20).optional(),
  timeout_s: z
    .number()
    .positive()
    .max(7 * 24 * 3600)
    .optional(),
  estimate_s: z.number().nonnegative().optional(),
  vram_mb: z.int().nonnegative().optional(),
  requires_external: z.boolean().optional(),
  sensitive: z.boolean().optional(),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
};

/** Task defaults a plan applies to each of its tasks (a task's own field wins). */
const { command: _command, prompt: _prompt, ...defaultsShape } = taskFieldShape;
export const TaskDefaultsSchema = z.strictObject(defaultsShape);
/** A plan's task defaults. */
export type TaskDefaults = z.infer<typeof TaskDefaultsSchema>;

/** One task as a plan states it, before the brain fills in ids, defaults and the inferred class. */
export const PlanTaskSchema = z.strictObject({
  name: TaskNameSchema,
  depends_on: z.array(TaskNameSchema).optional(),
  ...taskFieldShape,
  ...ioShape,
});
/** A task as written in a plan. */
export type PlanTask = z.infer<typeof PlanTaskSchema>;

/** Most tasks one plan may have, however it is sent (one frame, or an upload in chunks). */
export const MAX_PLAN_TASKS = 100_000;

/** Everything of a plan but its tasks: what a chunked upload's first chunk carries. */
export const PlanHeaderSchema = z.strictObject({
  plan: z.string().min(1, { error: 'a plan needs a name' }).max(128),
  description: z.string().max(10_000).optional(),
  notes: z.string().max(1_000_000).optional(),
  allow_external_sensitive: z.boolean().optional(),
  defaults: TaskDefaultsSchema.optional(),
});
/** A plan without its tasks. */
export type PlanHeader = z.infer<typeof PlanHeaderSchema>;

/** A plan: a named DAG of tasks. `notes` keeps a plan.md's prose. */
export const PlanSchema = z.strictObject({
  ...PlanHeaderSchema.shape,
  tasks: z.array(PlanTaskSchema).min(1, { error: 'a plan needs at least one task' }).max(MAX_PLAN_TASKS),
});
/** A plan as submitted. */
export type Plan = z.infer<typeof PlanSchema>;
