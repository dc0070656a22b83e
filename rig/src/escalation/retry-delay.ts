import type { RigConfig } from '@rigmind/protocol';
import { backoffDelay } from '../store/backoff.js';

/**
 * How long to wait before asking the gateway again after `tries` unsettled tries: the escalation backoff (jittered,
 * never under half the base, so a draw near 0 does not hammer the Pi), and never before the gateway's own
 * Retry-After (`notBeforeMs`), since asking sooner learns nothing. `random` is the injected runtime's.
 */
export function gatewayRetryDelay(
  policy: RigConfig['escalation'],
  tries: number,
  random: () => number,
  notBeforeMs = 0,
): number {
  const { retry_base_ms: base_ms, retry_cap_ms: cap_ms } = policy;
  return Math.max(base_ms / 2, backoffDelay({ base_ms, cap_ms }, tries, random), notBeforeMs);
}
