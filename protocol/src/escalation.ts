import { z } from 'zod';
import { PlanTaskSchema } from './plan.js';
import { TaskClassSchema, TaskTypeSchema } from './task.js';

/** Size limits of an escalation request, so a runaway transcript cannot become a runaway bill. */
export const ESCALATION_LIMITS = {
  instructionsChars: 20_000,
  untrustedItems: 32,
  untrustedChars: 200_000,
  attempts: 10,
  maxTokens: 8_192,
} as const;

/** A piece of data the brain did not write (transcript, OCR text, scraped page): never instructions. */
export const UntrustedDataSchema = z.strictObject({
  label: z.string().min(1).max(200),
  content: z.string().max(ESCALATION_LIMITS.untrustedChars),
});
/** Untrusted data in an escalation. */
export type UntrustedData = z.infer<typeof UntrustedDataSchema>;

/** One earlier local attempt at the task and how it ended. */
export const LocalAttemptSchema = z.strictObject({
  attempt: z.int().min(1),
  worker_id: z.string().max(128).optional(),
  model: z.string().max(128).optional(),
  return_code: z.int().nullable().optional(),
  error_snippet: z.string().max(2_000).optional(),
  output_excerpt: z.string().max(20_000).optional(),
});
/** A local attempt. */
export type LocalAttempt = z.infer<typeof LocalAttemptSchema>;

/** Why the brain escalated. */
export const EscalationReasonSchema = z.enum([
  'requires_external',
  'repeated_failure',
  'context_too_long',
  'low_confidence',
  'manual',
  /** The brain's model read a failure the rules could not classify and chose to escalate it (docs/judge.md). */
  'brain_judgement',
]);
/** An escalation reason. */
export type EscalationReason = z.infer<typeof EscalationReasonSchema>;

/** A sender's name for one handoff, the same on every resend of it (see EscalationRequest.idempotency_key). */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{16,128}$/, 'must be 16 to 128 letters, digits or _ . : -');

/** What the brain sends to the gateway: the task, trusted instructions, untrusted data, earlier attempts. */
export const EscalationRequestSchema = z.strictObject({
  task: z.strictObject({
    task_id: z.string().min(1).max(200),
    plan_id: z.string().max(200).optional(),
    name: z.string().min(1).max(128),
    type: TaskTypeSchema,
    task_class: TaskClassSchema,
    prompt: z.string().max(ESCALATION_LIMITS.untrustedChars).optional(),
    command: z.string().max(20_000).optional(),
  }),
  reason: EscalationReasonSchema,
  instructions: z.string().min(1).max(ESCALATION_LIMITS.instructionsChars),
  untrusted: z.array(UntrustedDataSchema).max(ESCALATION_LIMITS.untrustedItems).default([]),
  attempts: z.array(LocalAttemptSchema).max(ESCALATION_LIMITS.attempts).default([]),
  model_hint: z.string().max(128).optional(),
  max_tokens: z.int().min(1).max(ESCALATION_LIMITS.maxTokens).default(1_024),
  /**
   * The sender's name for this handoff, the same on every resend of it: the gateway keeps one escalation per rig
   * and key, so a resend after a lost reply gets that escalation back instead of paying for a second call.
   */
  idempotency_key: IdempotencyKeySchema.optional(),
});
/** An escalation request as parsed (defaults applied). */
export type EscalationRequest = z.infer<typeof EscalationRequestSchema>;
/** An escalation request as written by a sender (defaults optional). */
export type EscalationRequestInput = z.input<typeof EscalationRequestSchema>;

/**
 * Claude's advice. It is data for the brain to judge: an answer, proposed subtasks, or a decline.
 * There is deliberately no variant that names a worker or carries a dispatch.
 */
export const AdviceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('answer'), text: z.string().min(1).max(200_000) }),
  z.strictObject({
    type: z.literal('subtasks'),
    rationale: z.string().max(20_000).optional(),
    tasks: z.array(PlanTaskSchema).min(1).max(100),
  }),
  z.strictObject({ type: z.literal('decline'), reason: z.string().min(1).max(20_000) }),
]);
/** Advice from the external tier. */
export type Advice = z.infer<typeof AdviceSchema>;

/** Where an escalation stands at the gateway. */
export const EscalationStateSchema = z.enum(['completed', 'pending', 'failed']);
/** An escalation's state. */
export type EscalationState = z.infer<typeof EscalationStateSchema>;

/** The gateway's answer to POST /v1/escalations and GET /v1/escalations/:id. */
export const EscalationResponseSchema = z.strictObject({
  id: z.string().min(1),
  state: EscalationStateSchema,
  /** Proposals only: subtasks are marked as coming from the gateway and the brain decides. */
  proposed_by: z.literal('gateway'),
  advice: AdviceSchema.optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  model: z.string().optional(),
  usage: z
    .strictObject({
      input_tokens: z.int().min(0),
      output_tokens: z.int().min(0),
      cache_creation_input_tokens: z.int().min(0),
      cache_read_input_tokens: z.int().min(0),
      usd: z.number().min(0),
    })
    .optional(),
});
/** The gateway's escalation response. */
export type EscalationResponse = z.infer<typeof EscalationResponseSchema>;
