import type { Logger } from 'pino';
import type {
  EscalationReason,
  Plan,
  PlanTask,
  Result,
  RigConfig,
  RigEvent,
  Runtime,
  TaskDefaults,
} from '@rigmind/protocol';
import type { RigHome } from '../config/rig-home.js';
import type { NewTask, TaskRow } from '../store/rows.js';
import type { Store } from '../store/store.js';
import type { Transitions } from '../store/transitions.js';
import type { WriteFailure } from '../store/write-failure.js';
import type { BrainEffect } from './effects.js';
import type { EventBus } from './event-bus.js';
import type { MessageSink } from './outbox.js';
import type { PlanWaits } from './plan-waits.js';
import type { PlanUploads } from './plan-uploads.js';
import type { ReadyQueue, WorkerAppetite } from './ready-queue.js';
import type { WorkerEntry, WorkerRegistry } from './worker-registry.js';

/** A plan problem as the brain reports it to a client. */
export interface PlanProblem {
  readonly code: string;
  readonly path: string;
  readonly message: string;
  readonly line?: number | undefined;
}

/** Validates a submitted plan and resolves it into tasks in topological order. */
export type PlanResolver = (plan: Plan) => Result<NewTask[], 'invalid_plan', { readonly issues: PlanProblem[] }>;

/**
 * A plan checked as its tasks arrive (rig/src/plan/plan-check.ts): each task's own checks as it is added, the graph's
 * at `finish`, so that no one step checks a whole large plan.
 */
export interface PlanChecker {
  /** Tasks added so far. */
  readonly size: number;
  add(tasks: readonly PlanTask[]): void;
  finish(): ReturnType<PlanResolver>;
}

/** Starts a {@link PlanChecker} for a plan with these task defaults. */
export type CheckPlan = (defaults: TaskDefaults | undefined) => PlanChecker;

/** What a person's `rigmind escalate TASK_ID` did: the tasks it affected, or why it was refused (as a value). */
export type ManualEscalation = Result<string[], 'not_found' | 'not_escalatable'>;

/**
 * Hooks the escalation path plugs into; absent means no gateway is configured. They are called by `applyEffects`
 * only, and return what is to follow as effects rather than applying anything themselves.
 */
export interface EscalationHooks {
  /**
   * Hand a task to the gateway (flagged requires_external, failed locally too often, low confidence, or by hand).
   * Returns what follows, or undefined when it is not taken (a sensitive task the plan keeps local): the task then
   * carries on locally.
   */
  escalate(taskId: string, reason: EscalationReason): readonly BrainEffect[] | undefined;
  /**
   * A person asks for a task to go to the gateway: a queued or backing-off task, a failed one (reopened with the
   * dependents it failed), or one held after a decline (asked again). Anything else is refused, saying why.
   */
  escalateByHand(taskId: string): ManualEscalation;
  /** Tasks a person canceled: withdraw what the gateway holds for them. */
  onCanceled(taskIds: readonly string[]): void;
  /** A released task whose advised subtasks are done: what completing it did, or undefined if it is not such a task. */
  onReleased(row: TaskRow): readonly BrainEffect[] | undefined;
  /** Resume and start timers. */
  start(): void;
  /** Stop timers and wait for requests under way. */
  stop(): Promise<void>;
}

/**
 * The brain's model judging failures the rules cannot classify; absent when judge.enabled is off. Called by
 * `applyEffects` only: it asks the model without waiting and returns what follows now (nothing: the task waits,
 * judging); the judgement is applied later, through `applyLater`.
 */
export interface JudgeHooks {
  /** Ask for a judgement of the failed `attempt` of a task now judging, whose worker reported `error`. */
  begin(taskId: string, attempt: number, error: string): readonly BrainEffect[];
  /** Stop asking, and wait for calls under way: a task left judging is retried on the next start. */
  stop(): Promise<void>;
}

/** The live GPU scheduler (policy `swap-aware`); absent under `naive`, where the seed's order feeds every worker. */
export interface GpuScheduler {
  onRegister(worker: WorkerEntry): void;
  onDrop(workerId: string): void;
  onWorkerEvent(workerId: string, event: RigEvent): void;
  /** Work arrived or finished: what is soon ready has changed. */
  invalidate(): void;
  /** Place GPU work on the cards (inside the pump's transaction); returns what follows (preempted tasks re-queued). */
  place(): readonly BrainEffect[];
  /** What the seed's pump may still offer a worker after placement. */
  appetite(worker: WorkerEntry): WorkerAppetite | undefined;
  stop(): void;
}

/**
 * What the brain's parts share, built first: the scheduler and the escalation path are built from it, and the
 * whole {@link BrainContext} after them, so nothing is filled in later.
 */
export interface BrainCore {
  readonly home: RigHome;
  readonly config: RigConfig;
  readonly store: Store;
  readonly transitions: Transitions;
  readonly queue: ReadyQueue;
  readonly workers: WorkerRegistry;
  /** Messages to peers: held until the transaction under way commits (an ack means on disk). */
  readonly router: MessageSink;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly resolvePlan: PlanResolver;
  readonly checkPlan: CheckPlan;
  /** Chunked plan uploads under way (memory only: nothing of an upload is stored before its last chunk). */
  readonly uploads: PlanUploads;
  /** Cancels waiting for a plan being stored, or for a cancel in slices under way, to end. */
  readonly planWaits: PlanWaits;
  /** The one source of time, randomness and ids (systemRuntime, built at the composition root). */
  readonly runtime: Runtime;
  readonly id: string;
  /**
   * Result acks not sent yet, by worker: they ride on the next dispatch to that worker, or go alone at the turn's end.
   */
  readonly pendingAcks: Map<string, { identity: Buffer; msgIds: string[] }>;
  /** Tasks backing off: id -> when to re-queue (ms). */
  readonly retryAt: Map<string, number>;
  /** Why the state database cannot be written now, if it cannot: `status` says so, writes wait for it. */
  writeFailure(): WriteFailure | undefined;
  /**
   * Run `work` as one transaction whose messages go out after it commits; false if it rolled back (a full disk:
   * then it is not run at all). For timers outside the frame loop: a write failure must not escape them.
   */
  atomically(work: () => void): boolean;
  /** Ask the dispatcher to run soon (coalesced). */
  schedulePump(): void;
  /**
   * Apply effects that arrive outside a frame (a gateway's reply), as one transaction of their own, through the
   * one place that applies effects. Nothing is applied while writes fail (false then): the escalation is due again
   * later, and the judge keeps its judgement to apply once writes work.
   */
  applyLater(effects: () => readonly BrainEffect[]): boolean;
}

/** Everything the brain's parts share, built whole at start and frozen. One object so handlers stay small functions. */
export interface BrainContext extends BrainCore {
  readonly escalation: EscalationHooks | undefined;
  readonly judge: JudgeHooks | undefined;
  readonly scheduler: GpuScheduler | undefined;
}
