import { z } from 'zod';

/** Every kind of event the rig publishes; the seed's five first. The stream is complete: metrics and alerts read it. */
export const EventTypeSchema = z.enum([
  'task_started',
  'task_completed',
  'task_failed',
  'gpu_allocated',
  'model_loaded',
  'model_unloaded',
  'plan_submitted',
  'plan_refused',
  'plan_completed',
  'plan_failed',
  'plan_canceled',
  'task_released',
  'task_dispatched',
  'task_requeued',
  'task_retry_scheduled',
  'task_canceled',
  'task_preempted',
  'task_escalated',
  'task_advised',
  'task_judging',
  'task_judged',
  'worker_registered',
  'worker_lost',
  'worker_left',
  'gpu_state',
  'gpu_thermal',
  'escalation_failed',
  'result_refused',
  'brain_started',
  'brain_stopped',
]);
/** An event type. */
export type EventType = z.infer<typeof EventTypeSchema>;

/** One event: the seed's suggested log schema, extended with plan, attempt and cause. */
export const EventSchema = z.strictObject({
  seq: z.int().min(0).optional(),
  timestamp: z.iso.datetime(),
  event_type: EventTypeSchema,
  plan_id: z.string().optional(),
  task_id: z.string().optional(),
  plan_task_id: z.string().optional(),
  worker_id: z.string().optional(),
  gpu_id: z.int().min(0).optional(),
  attempt: z.int().min(1).optional(),
  duration_ms: z.number().min(0).optional(),
  elapsed_seconds: z.number().min(0).optional(),
  tokens_generated: z.int().min(0).optional(),
  return_code: z.int().nullable().optional(),
  error: z.string().nullable().optional(),
  cause: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
/** An event. */
export type RigEvent = z.infer<typeof EventSchema>;
