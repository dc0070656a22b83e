import { z } from 'zod';

/**
 * Every code the brain puts in a `refused` message, grouped by who decides it. The wire field stays a plain
 * string on purpose: a closed enum there would make an older client refuse a newer brain's whole reply over one
 * new code (and report the brain unreachable), so the client closes the union itself with {@link refusalCodeOf}.
 */
export const REFUSAL_CODES = [
  // The frame itself: protocol's ProtocolErrorCode (test/protocol/refusal-codes.test.ts keeps the lists in step).
  'frame_too_large',
  'too_deep',
  'invalid_utf8',
  'invalid_json',
  'invalid_message',
  'version_mismatch',
  'dispatch_forbidden',
  'unexpected_sender',
  'unexpected_kind',
  // The state database could not record the message (a full disk), or a handler failed.
  'disk_full',
  'store_write_failed',
  'internal_error',
  // Plans: refused by the validator, not stored, or still being stored.
  'plan_invalid',
  'plan_not_stored',
  'plan_storing',
  // Chunked uploads: a chunk of no upload under way (expired, or the brain restarted), out of order, or one upload
  // too many at once (MAX_OPEN_UPLOADS).
  'upload_unknown',
  'upload_out_of_order',
  'too_many_uploads',
  // Operator actions (cancel, retry, escalate) on plans and tasks.
  'not_found',
  'already_finished',
  'not_retryable',
  'not_escalatable',
  'no_gateway',
] as const;

/** A code the brain sends in a `refused` message. */
export const RefusalCodeSchema = z.enum(REFUSAL_CODES);
/** A code the brain sends in a `refused` message. */
export type RefusalCode = z.infer<typeof RefusalCodeSchema>;

/** A code this version does not know (a newer brain's): the refusal still counts, under this name. */
export const UNKNOWN_REFUSAL = 'refused';

/** The closed code for a wire `refused.code`: itself when known, else {@link UNKNOWN_REFUSAL}. */
export function refusalCodeOf(code: string): RefusalCode | typeof UNKNOWN_REFUSAL {
  const known = RefusalCodeSchema.safeParse(code);
  return known.success ? known.data : UNKNOWN_REFUSAL;
}
