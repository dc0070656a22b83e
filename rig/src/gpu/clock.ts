import type { Runtime } from '@rigmind/protocol';

/**
 * The clock part of {@link Runtime}. Kept as a name because rig/src/sim still imports it; it goes when the
 * simulator moves to Runtime with the store refactor.
 */
export type Clock = Pick<Runtime, 'now'>;
