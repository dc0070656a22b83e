import { z } from 'zod';
import { JudgementNoteSchema } from './judgement.js';
import { TaskClassSchema, TaskStatusSchema } from './task.js';

/** One task's line in a plan's status. */
export const TaskStatusRowSchema = z.strictObject({
  task_id: z.string(),
  name: z.string(),
  task_class: TaskClassSchema,
  status: TaskStatusSchema,
  priority: z.int(),
  attempts: z.int().min(0),
  /** Times the scheduler stopped it for urgent work and re-queued it (not failures, not retries). */
  preemptions: z.int().min(0),
  /** Times its worker died or came back without it: not failed attempts; absent from an older brain's reply. */
  lost_leases: z.int().min(0).default(0),
  worker_id: z.string().nullable(),
  return_code: z.int().nullable(),
  elapsed_seconds: z.number().nullable(),
  cause: z.string().nullable(),
  source: z.string(),
  fix_applied: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  /** The last attempt ran on simulated GPUs or a simulated LLM: timed, not run. */
  simulated: z.boolean(),
  /** The brain's model's last judgement of a failure of it, with its reasoning; absent from an older brain's reply. */
  judgement: JudgementNoteSchema.nullable().default(null),
});
/** A task's status row. */
export type TaskStatusRow = z.infer<typeof TaskStatusRowSchema>;

/** A plan's state, derived from its tasks. */
export const PlanStateSchema = z.enum(['running', 'completed', 'failed', 'canceled']);
/** A plan's state. */
export type PlanState = z.infer<typeof PlanStateSchema>;

/** A plan's status: counts by task status, plus the tasks themselves when one plan is asked for. */
export const PlanStatusSchema = z.strictObject({
  plan_id: z.string(),
  plan: z.string(),
  state: PlanStateSchema,
  submitted_at: z.string(),
  finished_at: z.string().nullable(),
  counts: z.partialRecord(TaskStatusSchema, z.int()),
  total: z.int(),
  tasks: z.array(TaskStatusRowSchema).optional(),
});
/** A plan's status. */
export type PlanStatus = z.infer<typeof PlanStatusSchema>;

/** A worker as the brain sees it. */
export const WorkerStatusSchema = z.strictObject({
  id: z.string(),
  alive: z.boolean(),
  classes: z.array(z.string()),
  gpus: z.array(z.int()),
  slots: z.int(),
  busy: z.int(),
  simulated: z.boolean(),
  last_seen: z.string(),
  /** Mean generation speed of the worker's llm attempts (Ollama's eval_count / eval_duration); null before any. */
  tokens_per_second: z.number().nullable(),
  /** Attempts the worker finished, and how many failed. */
  completed: z.int().min(0),
  failed: z.int().min(0),
  /** Cards its thermal guard rests after they ran hot, with the last temperature reported; absent when none. */
  held: z.array(z.strictObject({ gpu: z.int(), temperature_c: z.number().nullable() })).optional(),
});
/** A worker's status. */
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;
