import { z } from 'zod';
import { ExecutorSchema, TaskClassSchema, TaskFailureCodeSchema } from './task.js';

/** A card as a worker reports it on registration. */
export const GpuInfoSchema = z.strictObject({
  index: z.int().min(0),
  vram_mb: z.int().min(0),
  name: z.string().max(200).optional(),
  uuid: z.string().max(200).optional(),
});
/** A card's identity and size. */
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

/** What a worker tells the brain about itself when it registers: enough that adding a worker needs no brain config. */
export const WorkerInfoSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'a worker id may hold letters, digits, _ . -' }),
  gpus: z.array(GpuInfoSchema).max(64),
  classes: z.array(TaskClassSchema.exclude(['resource'])).min(1),
  prefer: TaskClassSchema.exclude(['resource']).optional(),
  /** `brain` for the process that runs tasks on the brain's own cards (executor: brain). */
  executor: ExecutorSchema,
  slots: z.int().min(1).max(256),
  simulated: z.boolean(),
  host: z.string().max(255),
  pid: z.int().min(1),
  ollama_url: z.string().max(500).optional(),
  /** The model its llm tasks run when they name none: the brain's model (14B) on the brain executor. */
  model: z.string().max(200).optional(),
});
/** A worker's self-description. */
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

/** A task a worker holds: which attempt of which task. */
export const HeldTaskSchema = z.strictObject({
  task_id: z.string().min(1),
  attempt: z.int().min(1),
});
/** A held task. */
export type HeldTask = z.infer<typeof HeldTaskSchema>;

/**
 * A card the worker's thermal guard holds: it reported `hot` and has not cooled. Sent in every register, since a
 * brain that forgot the worker (reaped it, restarted) would not hear `hot` again and would not know the card is held.
 */
export const HeldCardSchema = z.strictObject({
  gpu: z.int().min(0).max(63),
  /** The last temperature the guard reported for it; null when that reading had none. */
  temperature_c: z.number().nullable(),
  /** The thresholds its `hot` event carried: held from this temperature until it reads below the other. */
  stop_at_c: z.number().optional(),
  resume_below_c: z.number().optional(),
});
/** A card held for heat. */
export type HeldCard = z.infer<typeof HeldCardSchema>;

/**
 * Which dispatch of which brain start: `boot` is new each time a brain starts, `n` counts its dispatches. A worker
 * registering names the last one it received, so the brain can tell a lease the worker has not heard of yet (sent
 * after the register left) from one it will never hear of (sent before, or to a connection that is gone).
 */
export const DispatchMarkSchema = z.strictObject({ boot: z.string().min(1).max(64), n: z.int().min(1) });
/** A dispatch's mark. */
export type DispatchMark = z.infer<typeof DispatchMarkSchema>;

/** How one attempt ended, as the worker saw it. Expected failures are values, not exceptions. */
export const AttemptOutcomeSchema = z.enum(['completed', 'failed', 'timeout', 'canceled', 'error']);
/** An attempt's outcome. */
export type AttemptOutcome = z.infer<typeof AttemptOutcomeSchema>;

/** The result of one attempt: the seed's enhanced log fields, plus LLM token counts. */
export const AttemptResultSchema = z.strictObject({
  outcome: AttemptOutcomeSchema,
  return_code: z.int().nullable(),
  signal: z.string().nullable(),
  elapsed_seconds: z.number().min(0),
  output_lines: z.int().min(0),
  error_snippet: z.string().max(2_000),
  stdout_path: z.string().optional(),
  stderr_path: z.string().optional(),
  tokens_generated: z.int().min(0).optional(),
  tokens_per_second: z.number().min(0).optional(),
  simulated: z.boolean().optional(),
  output: z.string().max(1_000_000).optional(),
  /** The prompt did not fit the model's context window; it was not sent (never silently truncated). */
  context_exceeded: z
    .strictObject({ model: z.string(), estimated_tokens: z.int().min(0), context_length: z.int().min(1) })
    .optional(),
  /** The task's own files failed it (an input missing, unreadable or too large, an output not written): final. */
  failure_code: TaskFailureCodeSchema.optional(),
  /** The confidence a structured answer gave itself, 0 to 1; the brain escalates one below its threshold. */
  confidence: z.number().min(0).max(1).optional(),
});
/** An attempt's result. */
export type AttemptResult = z.infer<typeof AttemptResultSchema>;
