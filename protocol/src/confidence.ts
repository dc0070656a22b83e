/**
 * Structured confidence: a model asked for it answers `{"answer": ..., "confidence": 0..1}`, constrained by this
 * JSON schema (Ollama's `format`). Below the rig's threshold the answer is escalated rather than passed on: the
 * seed's "brain uncertainty" criterion. No I/O.
 */
import { z } from 'zod';

/** What a confident answer looks like. */
export const ConfidentAnswerSchema = z.object({
  answer: z.string(),
  confidence: z.number().min(0).max(1),
});
/** A structured answer with its confidence. */
export type ConfidentAnswer = z.infer<typeof ConfidentAnswerSchema>;

/** The JSON schema sent as Ollama's `format`, so the model can only answer in that shape. */
export const CONFIDENCE_FORMAT: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  properties: {
    answer: { type: 'string' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
  required: ['answer', 'confidence'],
});

/** The trusted instruction that goes with the format (Ollama advises stating the schema in the prompt too). */
export const CONFIDENCE_INSTRUCTION =
  'Reply with one JSON object only: {"answer": "<your answer>", "confidence": <0 to 1>}. "confidence" is how ' +
  'sure you are that the answer is correct and complete: 1 certain, 0.5 a guess, 0 no idea. Do not overstate it: ' +
  'an unsure answer is sent to a stronger model instead of being used.';

/** The answer and confidence in a model's reply, or undefined when the reply is not in that shape. */
export function parseConfidentAnswer(text: string): ConfidentAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = ConfidentAnswerSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
