import { z } from 'zod';

// Response schemas follow docs/api.md in ollama/ollama. They are z.object, not strictObject, on purpose:
// Ollama adds fields between releases and a new field must not fail a rig that was working.

const Nanoseconds = z.int().min(0).optional();

/** The counters Ollama puts on a final chunk or a non-streamed reply; durations in nanoseconds. */
export const UsageSchema = z.object({
  total_duration: Nanoseconds,
  load_duration: Nanoseconds,
  prompt_eval_count: z.int().min(0).optional(),
  prompt_eval_duration: Nanoseconds,
  eval_count: z.int().min(0).optional(),
  eval_duration: Nanoseconds,
});
/** Usage counters. */
export type Usage = z.infer<typeof UsageSchema>;

/** One /api/generate chunk (streamed) or the whole reply (stream: false). */
export const GenerateChunkSchema = UsageSchema.extend({
  model: z.string(),
  created_at: z.string(),
  response: z.string().default(''),
  thinking: z.string().optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  context: z.array(z.number()).optional(),
});
/** A generate chunk. */
export type GenerateChunk = z.infer<typeof GenerateChunkSchema>;

/** A chat message, as sent and as received. */
export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  images: z.array(z.string()).nullable().optional(),
  tool_calls: z.array(z.unknown()).optional(),
});
/** A chat message. */
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** One /api/chat chunk; the final streamed one may carry no message. */
export const ChatChunkSchema = UsageSchema.extend({
  model: z.string(),
  created_at: z.string(),
  message: ChatMessageSchema.optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
});
/** A chat chunk. */
export type ChatChunk = z.infer<typeof ChatChunkSchema>;

/** A model's `details` block in /api/tags, /api/ps and /api/show. */
export const ModelDetailsSchema = z.object({
  parent_model: z.string().optional(),
  format: z.string().optional(),
  family: z.string().optional(),
  families: z.array(z.string()).nullable().optional(),
  parameter_size: z.string().optional(),
  quantization_level: z.string().optional(),
});

/** GET /api/ps: the models loaded now, with the VRAM they hold. */
export const PsResponseSchema = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      model: z.string(),
      size: z.int().min(0),
      size_vram: z.int().min(0),
      digest: z.string(),
      details: ModelDetailsSchema.optional(),
      expires_at: z.string(),
    }),
  ),
});
/** A /api/ps reply. */
export type PsResponse = z.infer<typeof PsResponseSchema>;
/** One loaded model. */
export type RunningModel = PsResponse['models'][number];

/** GET /api/tags: the models on disk. */
export const TagsResponseSchema = z.object({
  models: z.array(
    z.object({
      name: z.string(),
      model: z.string().optional(),
      modified_at: z.string(),
      size: z.int().min(0),
      digest: z.string(),
      details: ModelDetailsSchema.optional(),
    }),
  ),
});
/** A /api/tags reply. */
export type TagsResponse = z.infer<typeof TagsResponseSchema>;

/** POST /api/show. */
export const ShowResponseSchema = z.object({
  modelfile: z.string().optional(),
  parameters: z.string().optional(),
  template: z.string().optional(),
  details: ModelDetailsSchema.optional(),
  model_info: z.record(z.string(), z.unknown()).optional(),
  capabilities: z.array(z.string()).optional(),
});
/** A /api/show reply. */
export type ShowResponse = z.infer<typeof ShowResponseSchema>;

/** Ollama's error body, on a failed status and as a line inside a stream. */
export const ErrorBodySchema = z.object({ error: z.string() });
