/**
 * A worker that lost the brain retries with doubling waits capped at this many heartbeats. After a brain restart
 * the workers named by its leases get that long (plus the liveness window) to come back before their leases are
 * given to others: a worker asleep in its backoff still holds, and may be finishing, its tasks. Both sides must use
 * the same number, so it lives in the protocol rather than in either of them.
 */
export const RECONNECT_CAP_HEARTBEATS = 32;
