import { z } from 'zod';

/**
 * What a task needs: plain CPU, a GPU script (Whisper, embeddings), an Ollama LLM, or the brain's own resource
 * work.
 */
export const TaskClassSchema = z.enum(['cpu', 'script', 'llm', 'resource']);
/** A task's class. */
export type TaskClass = z.infer<typeof TaskClassSchema>;

/** How a task runs: a shell command or an LLM prompt. */
export const TaskTypeSchema = z.enum(['shell', 'llm']);
/** A task's type. */
export type TaskType = z.infer<typeof TaskTypeSchema>;

/** Who runs a task: the brain's own cards or a worker. */
export const ExecutorSchema = z.enum(['brain', 'worker']);
/** A task's executor. */
export type Executor = z.infer<typeof ExecutorSchema>;

/**
 * Task states. `blocked` is the seed's private list (dependencies not complete), `queued` the public queue,
 * `leased` dispatched to a worker, `running` started, `retry_wait` backing off before the next attempt,
 * `waiting_external` escalated and waiting for the gateway.
 */
export const TaskStatusSchema = z.enum([
  'blocked',
  'queued',
  'leased',
  'running',
  'retry_wait',
  'waiting_external',
  'completed',
  'failed',
  'canceled',
]);
/** A task's state. */
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/**
 * What a `resource` task does to its card; it travels in the task's `command`. The brain alone creates them
 * (plans may not use the class): load an LLM ahead of its work, or free a card of one.
 */
export const ResourceActionSchema = z.enum(['load_llm', 'unload_llm']);
/** A resource task's action. */
export type ResourceAction = z.infer<typeof ResourceActionSchema>;

/** States a task never leaves on its own. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'canceled'];

/** Who a task came from: a person's plan, the brain itself, or advice relayed from the gateway. */
export const TaskSourceSchema = z.string().min(1).max(200);

/** A task name: what `depends_on` refers to. Kept shell- and file-name safe. */
export const TaskNameSchema = z
  .string()
  .min(1, { error: 'a task name cannot be empty' })
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, {
    error: 'a task name may hold letters, digits, _ . : - and must start with a letter or digit',
  });

/** Priority 1 (cleanup) to 10 (urgent); 5 is normal work. */
export const PrioritySchema = z
  .int({ error: 'priority must be a whole number from 1 to 10' })
  .min(1, { error: 'priority must be from 1 to 10' })
  .max(10, { error: 'priority must be from 1 to 10' });

/** A path a task reads or writes; relative paths are taken from the task's `cwd`, else the worker's own. */
export const TaskPathSchema = z.string().min(1, { error: 'a path cannot be empty' }).max(4096);

/**
 * An input's name: what an llm prompt inserts (`{{input.NAME}}`) and what a shell task reads (`RIGMIND_INPUT_NAME`).
 */
export const InputNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: 'an input name may hold letters, digits and _ and must not start with a digit',
  });

/** An accepted task's input: the file it reads and, when that file is another task's output, that task's name. */
export const TaskInputSchema = z.strictObject({ file: TaskPathSchema, from: TaskNameSchema.optional() });
/** An accepted task's input. */
export type TaskInput = z.infer<typeof TaskInputSchema>;

/** Images a task may send to a vision model at once. */
export const MAX_TASK_IMAGES = 16;

/**
 * Why an attempt failed before or after its work, through no fault of a model: an input that is not there, cannot
 * be read or is too large, or an output that was not written. The task fails at once: no retry can fix its files.
 */
export const TaskFailureCodeSchema = z.enum([
  'input_missing',
  'input_unreadable',
  'input_too_large',
  'output_missing',
  'output_unwritable',
]);
/** A task failure code. */
export type TaskFailureCode = z.infer<typeof TaskFailureCodeSchema>;

/** The fields a task has once the brain has accepted it: the seed's schema plus rigmind's additions. */
export const TaskSchema = z.strictObject({
  task_id: z.string().min(1),
  plan_id: z.string().min(1),
  name: TaskNameSchema,
  type: TaskTypeSchema,
  command: z.string().optional(),
  prompt: z.string().optional(),
  model: z.string().optional(),
  task_class: TaskClassSchema,
  executor: ExecutorSchema,
  depends_on: z.array(TaskNameSchema),
  priority: PrioritySchema,
  status: TaskStatusSchema,
  created_at: z.iso.datetime(),
  retry_count: z.int().min(0),
  max_retries: z.int().min(0).max(20),
  timeout_s: z.number().positive(),
  estimate_s: z.number().nonnegative().optional(),
  vram_mb: z.int().nonnegative().optional(),
  requires_external: z.boolean(),
  sensitive: z.boolean(),
  source: TaskSourceSchema,
  fix_applied: z.string().optional(),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  /** What it reads, by name; a `from` input is the output file of a task it depends on. */
  inputs: z.record(InputNameSchema, TaskInputSchema).optional(),
  /** The file it writes: a shell command writes it itself, an llm task's answer is written there. */
  output: TaskPathSchema.optional(),
  /** Images sent with an llm task's prompt to a vision model (base64, as Ollama takes them). */
  images: z.array(TaskPathSchema).max(MAX_TASK_IMAGES).optional(),
  /** An llm task answers with a structured confidence; below the rig's threshold the answer is escalated. */
  confidence: z.boolean().optional(),
});
/** An accepted task. */
export type Task = z.infer<typeof TaskSchema>;
