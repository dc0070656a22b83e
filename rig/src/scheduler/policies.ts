import { naivePolicy } from './naive-policy.js';
import { swapAwarePolicy } from './swap-aware-policy.js';
import type { Policy } from './types.js';

/** The policies by name: `swap-aware` is the default, `naive` the seed's behaviour kept for comparison. */
export const POLICIES: Readonly<Record<PolicyName, Policy>> = { naive: naivePolicy, 'swap-aware': swapAwarePolicy };

/** A policy's name. */
export type PolicyName = 'naive' | 'swap-aware';

/** The policy names, default first. */
export const POLICY_NAMES: readonly PolicyName[] = ['swap-aware', 'naive'];

/** Whether `name` is a policy. */
export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}
