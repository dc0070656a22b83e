import type { RigEvent, Runtime } from '@rigmind/protocol';
import { bindConnection, Connection } from './connection.js';
import { DagQueries } from './dag-queries.js';
import { EscalationStore } from './escalations.js';
import { Plans, type NewPlan } from './plans.js';
import type { AttemptRow, NewTask, PlanRow, TaskRow } from './rows.js';
import { StatusQueries } from './status-queries.js';
import { TaskQueries, type LeaseRow } from './task-queries.js';
import { measuredLoads, type MeasuredLoad } from './timings.js';

export { StoreError } from './connection.js';
export type { NewPlan } from './plans.js';

/**
 * The brain's state database, and the one door to it: every read and write is a method named for what it means,
 * on one SQLite connection, and no SQL or connection leaves `store/`. Status changes are not here: they are the
 * state machine's ({@link Transitions}, built on this store).
 */
export class Store {
  readonly #db: Connection;
  readonly #tasks: TaskQueries;
  readonly #plans: Plans;
  readonly #random: () => number;
  /** The escalations table: handoffs to the gateway in flight, kept across restarts. */
  readonly escalations: EscalationStore;
  /** What `status` reads. */
  readonly status: StatusQueries;
  /** What the GPU scheduler reads of the task graph to look ahead. */
  readonly dag: DagQueries;

  /** `runtime` stamps rows with its clock and names handoffs with its ids (systemRuntime, or a manual one in tests). */
  constructor(path: string, runtime: Pick<Runtime, 'now' | 'id' | 'random'>) {
    this.#db = new Connection(path, runtime);
    this.#random = () => runtime.random();
    bindConnection(this, this.#db);
    this.#tasks = new TaskQueries(this.#db);
    this.#plans = new Plans(this.#db);
    this.escalations = new EscalationStore(this.#db);
    this.status = new StatusQueries(this.#db);
    this.dag = new DagQueries(this.#db);
  }

  /** The injected clock (ms). */
  now(): number {
    return this.#db.now();
  }

  /** ISO time from the injected clock. */
  isoNow(): string {
    return this.#db.isoNow();
  }

  /** A draw from the injected runtime's random source (the state machine's backoff jitter). */
  random(): number {
    return this.#random();
  }

  /**
   * Run `work` as one transaction (a savepoint inside another): everything it writes through this store commits
   * together when it returns, or not at all if it throws (the error is rethrown).
   */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work);
  }

  /** Whether a transaction is under way. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /**
   * Whether the next commits reach the disk before they return (`synchronous = FULL`: an acknowledged plan, cancel
   * or retry survives power loss) or at the next checkpoint (NORMAL). Taken only between transactions.
   */
  syncCommits(full: boolean): void {
    this.#db.syncCommits(full);
  }

  /**
   * A write that needs a free page on disk and changes nothing: it tells whether writes work again after a
   * failure (call inside a transaction, so it commits through the same WAL as every other write).
   */
  probeWrite(): void {
    this.#db.probeWrite();
  }

  /** Insert a plan and its tasks in one transaction; tasks without dependencies are queued at once. */
  insertPlan(plan: NewPlan): { task_ids: Map<string, string>; queued: string[]; submitted_at: string } {
    return this.#plans.insertPlan(plan);
  }

  /**
   * Insert resolved tasks into a plan (call inside a transaction). `ids` maps each task name (and any name a
   * dependency may use) to its task id. Tasks without dependencies are queued, or with `ready: 'held'` left ready
   * (blocked, nothing pending) for the state machine to release one by one; returns their ids.
   */
  insertTasks(
    planId: string,
    tasks: readonly NewTask[],
    ids: ReadonlyMap<string, string>,
    source: string,
    firstSeq: number,
    ready: 'queued' | 'held' = 'queued',
  ): string[] {
    return this.#plans.insertTasks(planId, tasks, ids, source, firstSeq, ready);
  }

  /** Plans stored in slices ({@link Plans.beginIntake}): begin, finish, ask, drop. */
  get intake(): Pick<
    Plans,
    'beginIntake' | 'finishIntake' | 'intakeUnderway' | 'dropUnfinishedIntakes' | 'dropIntake'
  > {
    return this.#plans;
  }

  /** The highest place in a plan's order, or null for a plan without tasks. */
  lastSeq(planId: string): number | null {
    return this.#plans.lastSeq(planId);
  }

  /** How many resource tasks (model loads and unloads) a plan has had. */
  resourceTaskCount(planId: string): number {
    return this.#plans.resourceTaskCount(planId);
  }

  /** Which of `names` a plan already has a task of. */
  takenNames(planId: string, names: readonly string[]): string[] {
    return this.#plans.takenNames(planId, names);
  }

  /** A plan's queued tasks in plan order. */
  queuedTasks(planId: string): TaskRow[] {
    return this.#plans.queuedTasks(planId);
  }

  /** One task by id. */
  task(taskId: string): TaskRow | undefined {
    return this.#tasks.task(taskId);
  }

  /** One plan by id. */
  plan(planId: string): PlanRow | undefined {
    return this.#plans.plan(planId);
  }

  /** Plans, newest first, once stored whole (not those being stored in slices). */
  plans(limit = 50): PlanRow[] {
    return this.#plans.plans(limit);
  }

  /** A plan's tasks in plan order. */
  planTasks(planId: string): TaskRow[] {
    return this.#tasks.planTasks(planId);
  }

  /** Tasks in the given states (for rebuilding memory on start). */
  tasksIn(statuses: readonly string[]): TaskRow[] {
    return this.#tasks.tasksIn(statuses);
  }

  /** A task's attempts, oldest first. */
  attempts(taskId: string): AttemptRow[] {
    return this.#tasks.attempts(taskId);
  }

  /** The worker an attempt was given to (null if none was named), or undefined if there is no such attempt. */
  attemptWorker(taskId: string, attempt: number): string | null | undefined {
    return this.#tasks.attemptWorker(taskId, attempt);
  }

  /** Every live lease. */
  leases(): LeaseRow[] {
    return this.#tasks.leases();
  }

  /** A task's live lease, if it has one. */
  leaseOf(taskId: string): LeaseRow | undefined {
    return this.#tasks.leaseOf(taskId);
  }

  /** Record an event; returns its sequence number. */
  appendEvent(event: RigEvent): number {
    return this.#tasks.appendEvent(event);
  }

  /** Remember a worker that registered. */
  upsertWorker(workerId: string, info: unknown): void {
    this.#tasks.upsertWorker(workerId, info);
  }

  /** Model load times this rig measured (real loads only), from its event log. */
  measuredLoads(): Map<string, MeasuredLoad> {
    return measuredLoads(this.#db);
  }

  /** Close the database. */
  close(): void {
    this.#db.close();
  }
}
