import { err, ok, type Result } from '@rigmind/protocol';
import { z } from 'zod';

/**
 * nvidia-smi's clocks_event_reasons bits (NVML's nvmlClocksEventReasons): the reason at position i is bit 1 << i,
 * 0x1 gpu_idle up to 0x100 display_clock_setting. Names are NVML's, snake-cased, so logs read like NVIDIA's docs.
 */
export const THROTTLE_REASONS = [
  'gpu_idle',
  'applications_clocks_setting',
  'sw_power_cap',
  'hw_slowdown',
  'sync_boost',
  'sw_thermal_slowdown',
  'hw_thermal_slowdown',
  'hw_power_brake_slowdown',
  'display_clock_setting',
] as const;

/** A decoded throttle (clock event) reason. */
export const ThrottleReasonSchema = z.enum(THROTTLE_REASONS);
/** A throttle reason's name. */
export type ThrottleReason = z.infer<typeof ThrottleReasonSchema>;

/** Reasons that say nothing is wrong: an idle card or a clock someone chose. The thermal guard does not report them. */
export const BENIGN_THROTTLE_REASONS: ReadonlySet<ThrottleReason> = new Set<ThrottleReason>([
  'gpu_idle',
  'applications_clocks_setting',
  'display_clock_setting',
]);

/** A decoded bitmask: reasons in bit order and any bits NVML added after this list (as hex). */
export interface ThrottleMask {
  readonly reasons: ThrottleReason[];
  readonly unknownBits: string | null;
}

/** Why a reasons cell decoded to nothing: it is no hex bitmask. The failure keeps the (trimmed) text it saw. */
export type DecodeReasonsCode = 'not_a_bitmask';

/** A decoded bitmask, or the text that is none. */
export type DecodedReasons = Result<ThrottleMask, DecodeReasonsCode, { readonly text: string }>;

/** Decode nvidia-smi's `0x0000000000000004` into reason names. */
export function decodeThrottleReasons(text: string): DecodedReasons {
  const trimmed = text.trim();
  if (!/^0x[0-9a-fA-F]{1,16}$/.test(trimmed)) {
    return err('not_a_bitmask', `${JSON.stringify(trimmed)} is not a hex bitmask`, { text: trimmed });
  }
  // BigInt because the field is 64 bits wide and a Number loses the top bits.
  const mask = BigInt(trimmed);
  const reasons: ThrottleReason[] = [];
  let known = 0n;
  THROTTLE_REASONS.forEach((name, position) => {
    const bit = 1n << BigInt(position);
    known |= bit;
    if ((mask & bit) !== 0n) reasons.push(name);
  });
  const unknown = mask & ~known;
  return ok({ reasons, unknownBits: unknown === 0n ? null : `0x${unknown.toString(16)}` });
}
