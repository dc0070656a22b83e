import type { Logger } from 'pino';
import type { Plan, RigConfig } from '@rigmind/protocol';
import type { RigHome } from '../config/rig-home.js';
import type { NewTask } from '../store/rows.js';
import type { Store } from '../store/store.js';
import type { Transitions } from '../store/transitions.js';
import type { RouterSocket } from '../transport/zmq.js';
import type { EventBus } from './event-bus.js';
import type { ReadyQueue } from './ready-queue.js';
import type { WorkerRegistry } from './worker-registry.js';

/** A plan problem as the brain reports it to a client. */
export interface PlanProblem {
  readonly code: string;
  readonly path: string;
  readonly message: string;
  readonly line?: number | undefined;
}

/** Validates a submitted plan and resolves it into tasks in topological order. */
export type PlanResolver = (plan: Plan) => { ok: true; tasks: NewTask[] } | { ok: false; issues: PlanProblem[] };

/** Hooks the escalation path plugs into; absent means no gateway is configured. */
export interface EscalationHooks {
  /** A released task flagged requires_external, or one that failed locally too often: hand it to the gateway. */
  escalate(taskId: string, reason: 'requires_external' | 'repeated_failure' | 'manual'): void;
}

/** Everything the brain's parts share. One object so handlers stay small functions. */
export interface BrainContext {
  readonly home: RigHome;
  readonly config: RigConfig;
  readonly store: Store;
  readonly transitions: Transitions;
  readonly queue: ReadyQueue;
  readonly workers: WorkerRegistry;
  readonly router: RouterSocket;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly resolvePlan: PlanResolver;
  readonly now: () => number;
  readonly id: string;
  escalation: EscalationHooks | undefined;
  /** Tasks backing off: id -> when to re-queue (ms). */
  readonly retryAt: Map<string, number>;
  /** Ask the dispatcher to run soon (coalesced). */
  schedulePump(): void;
}
