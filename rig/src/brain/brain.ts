import type { Logger } from 'pino';
import {
  createMessage,
  RECONNECT_CAP_HEARTBEATS,
  type RigConfig,
  type RigProfile,
  type Runtime,
} from '@rigmind/protocol';
import type { RigHome } from '../config/rig-home.js';
import { Store } from '../store/store.js';
import { Transitions } from '../store/transitions.js';
import { EventPublisher, RouterSocket, type RoutedFrame } from '../transport/zmq.js';
import type { BrainContext, BrainCore, CheckPlan, EscalationHooks, JudgeHooks, PlanResolver } from './brain-context.js';
import { applyEffects } from './apply-effects.js';
import { pump } from './dispatcher.js';
import { LiveRigSpec } from './live-rig-spec.js';
import { LiveScheduler } from './live-scheduler.js';
import { EventBus } from './event-bus.js';
import { ReadyQueue } from './ready-queue.js';
import { flushAcks, reapSilentWorkers } from './worker-handlers.js';
import { routeFrame } from './route-frame.js';
import { WorkerRegistry } from './worker-registry.js';
import { Outbox } from './outbox.js';
import { reloadMemory } from './reload-memory.js';
import { finishPendingCancels } from './plan-cancel.js';
import { PlanUploads } from './plan-uploads.js';
import { PlanWaits } from './plan-waits.js';
import { ackedToClient, refusalMessage, refusalOf, WriteHealth, writes, type Refusal } from './write-health.js';

/** What a brain needs from outside: where it lives, its config, a logger, and the runtime (clock, random, ids). */
export interface BrainOptions {
  readonly home: RigHome;
  readonly config: RigConfig;
  readonly logger: Logger;
  readonly resolvePlan: PlanResolver;
  /** The same checks as `resolvePlan`, a chunk of tasks at a time: for large plans and chunked uploads. */
  readonly checkPlan: CheckPlan;
  /** systemRuntime in production; a manual one in tests, to run time forward by hand. */
  readonly runtime: Runtime;
  /** The escalation path, when a gateway is configured: built from the brain's core, before the whole context. */
  readonly escalation?: (core: BrainCore) => EscalationHooks;
  /** The brain's model judging failures (judge.enabled): built from the brain's core, like the escalation path. */
  readonly judge?: (core: BrainCore) => JudgeHooks;
  /** The rig profile the swap-aware scheduler takes model sizes and load times from (measured loads replace them). */
  readonly profile?: RigProfile | undefined;
  /** Wall seconds per rig second for the scheduler's clock: below 1 only for a simulated rig (`up --simulate`). */
  readonly timeScale?: number | undefined;
}

/**
 * The brain: owns the state database, binds the ROUTER and PUB sockets, schedules, and is the only one that commands.
 */
export class Brain {
  readonly ctx: BrainContext;
  readonly #publisher: EventPublisher;
  readonly #router: RouterSocket;
  readonly #outbox = new Outbox();
  readonly #health: WriteHealth;
  #timers: NodeJS.Timeout[] = [];
  #pumpQueued = false;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(options: BrainOptions) {
    const { runtime } = options;
    const store = new Store(options.home.dbPath, runtime);
    const onError = (error: Error) => options.logger.error({ err: error }, 'socket send failed');
    this.#publisher = new EventPublisher(onError);
    this.#router = new RouterSocket({ maxMessageBytes: options.config.max_frame_bytes }, onError);
    this.#health = new WriteHealth(options.logger);
    // The state machine announces each status change it makes on the brain's bus, in the change's transaction.
    const events = new EventBus(store, this.#publisher, options.logger, this.#outbox);
    // The core first; the scheduler and the escalation path are built from it; then the whole context, frozen.
    // What the core's closures call on the brain (pump, transactions) is only called once the brain is serving.
    const core: BrainCore = Object.freeze<BrainCore>({
      home: options.home,
      config: options.config,
      store,
      transitions: new Transitions(store, options.config.retry, events),
      queue: new ReadyQueue(options.config.aging_s_per_point * 1000),
      workers: new WorkerRegistry(runtime),
      router: this.#outbox.sinkFor(this.#router),
      events,
      logger: options.logger,
      resolvePlan: options.resolvePlan,
      checkPlan: options.checkPlan,
      uploads: new PlanUploads(),
      planWaits: new PlanWaits(),
      runtime,
      id: 'brain',
      retryAt: new Map(),
      pendingAcks: new Map(),
      schedulePump: () => this.#schedulePump(),
      writeFailure: () => this.#health.failure,
      atomically: (work) => this.#health.failure === undefined && this.#atomically(work) === undefined,
      applyLater: (effects) => core.atomically(() => applyEffects(this.ctx, effects())),
    });
    let scheduler: LiveScheduler | undefined;
    if (options.config.scheduler.policy === 'swap-aware') {
      const spec = new LiveRigSpec(options.profile);
      spec.seed(store.measuredLoads());
      scheduler = new LiveScheduler(core, spec, undefined, options.timeScale ?? 1);
    }
    this.ctx = Object.freeze({
      ...core,
      scheduler,
      escalation: options.escalation?.(core),
      judge: options.judge?.(core),
    });
  }

  /** Bind sockets, rebuild memory from the database, and start serving. */
  async start(): Promise<void> {
    const { ctx } = this;
    await this.#router.bind(ctx.config.brain.router);
    await this.#publisher.bind(ctx.config.brain.pub);
    const dropped = ctx.store.intake.dropUnfinishedIntakes();
    if (dropped.length > 0) {
      ctx.logger.warn(
        { plans: dropped },
        'dropped plans a stopped brain had not finished storing (never acknowledged)',
      );
    }
    // Before memory is rebuilt, so that nothing of a plan a stopped brain was canceling is queued again.
    const canceled = finishPendingCancels(ctx, (work) => this.#atomically(work) === undefined);
    if (canceled.length > 0)
      ctx.logger.warn({ plans: canceled }, 'finished canceling plans a stopped brain was canceling');
    const recovered = this.#recover();
    ctx.escalation?.start();
    const detail = { router: ctx.config.brain.router, pub: ctx.config.brain.pub, ...recovered };
    this.#atomically(() => ctx.events.emit({ event_type: 'brain_started', detail }));
    this.#loop = this.#receive();
    this.#timers.push(setInterval(() => this.#heartbeat(), ctx.config.heartbeat_ms));
    this.#timers.push(setInterval(() => this.#releaseRetries(), Math.min(100, ctx.config.heartbeat_ms)));
    this.#schedulePump();
  }

  /** Stop serving and close everything; durable state stays as it is for the next start. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.ctx.scheduler?.stop();
    await this.ctx.escalation?.stop();
    await this.ctx.judge?.stop();
    this.#atomically(() => this.ctx.events.emit({ event_type: 'brain_stopped' }));
    await this.#router.close();
    await this.#publisher.close();
    await this.#loop;
    this.ctx.store.close();
  }

  /** Queued and backing-off tasks return to memory; leases wait for their workers to re-register, or expire. */
  #recover(): { queued: number; retry_wait: number; leases: number } {
    const { ctx } = this;
    const queued = ctx.store.tasksIn(['queued']);
    applyEffects(
      ctx,
      queued.map((row) => ({ kind: 'enqueue', row })),
    );
    const waiting = ctx.store.tasksIn(['retry_wait']);
    for (const row of waiting) ctx.retryAt.set(row.task_id, row.next_attempt_at ?? ctx.runtime.now());
    const leases = ctx.store.leases();
    // A lease's worker gets its longest reconnect wait plus the liveness window, counted from now, to come back and
    // claim it: re-queueing sooner would run again a task the worker may be finishing.
    const grace = ctx.config.heartbeat_ms * RECONNECT_CAP_HEARTBEATS;
    for (const lease of leases)
      ctx.workers.ensure(lease.worker_id, ctx.runtime.now() + grace).leases.add(lease.task_id);
    return { queued: queued.length, retry_wait: waiting.length, leases: leases.length };
  }

  async #receive(): Promise<void> {
    const { ctx } = this;
    for await (const frame of this.#router.frames({ maxBytes: ctx.config.max_frame_bytes })) {
      const failure = this.#health.failure;
      if (failure !== undefined && frame.parsed.ok && writes(frame.parsed.value.kind)) {
        // While writes fail, a frame that needs one is refused at once, not tried: trying rolls memory back.
        this.#refuse(frame, refusalOf(failure));
        continue;
      }
      // One transaction per frame: its state changes and events commit together, once. Nested transactions
      // in the handlers become savepoints. Replies and events go out only after the commit (the outbox).
      ctx.store.syncCommits(frame.parsed.ok && ackedToClient(frame.parsed.value.kind));
      const refusal = this.#atomically(() => {
        applyEffects(ctx, routeFrame(ctx, frame));
        // Work the frame released is dispatched in the same commit: one transaction per result, not two.
        this.#pumpNow();
        flushAcks(ctx);
      });
      if (refusal !== undefined) this.#refuse(frame, refusal);
    }
  }

  /** Tell a frame's sender that nothing of its message was recorded, matched to it by `re`. */
  #refuse(frame: RoutedFrame, refusal: Refusal): void {
    if (!frame.parsed.ok) return;
    this.#router.send(frame.identity, refusalMessage(this.ctx.id, refusal, frame.parsed.value.msg_id));
  }

  /**
   * Run `work` as one transaction; what it says goes out only if it commits. A failure (a full disk, a bug) is
   * returned as the refusal its sender gets, never thrown: every timer and the frame loop go on.
   */
  #atomically(work: () => void): Refusal | undefined {
    const { store } = this.ctx;
    if (store.inTransaction) {
      work();
      return undefined;
    }
    this.#outbox.begin();
    try {
      store.transaction(work);
    } catch (error) {
      this.#outbox.discard();
      return this.#health.failed(error, this.ctx.store.isoNow());
    }
    this.#outbox.commit();
    return undefined;
  }

  #heartbeat(): void {
    const { ctx } = this;
    // Outside any transaction: workers hear the brain even while its disk is full, and do not reconnect.
    for (const worker of ctx.workers.all()) {
      if (worker.identity !== undefined)
        ctx.router.send(worker.identity, createMessage('heartbeat', { role: 'brain', id: ctx.id }, {}));
    }
    for (const upload of ctx.uploads.expire(ctx.runtime.now(), ctx.config.upload_idle_ms)) {
      const detail = {
        upload_id: upload.uploadId,
        plan: upload.header.plan,
        chunks: `${upload.next}/${upload.chunks}`,
      };
      ctx.logger.warn(detail, 'dropped a plan upload that got no chunk for upload_idle_ms (nothing of it was stored)');
    }
    if (this.#health.recovering) this.#resumeWrites();
    if (this.#health.failure === undefined) this.#atomically(() => applyEffects(ctx, reapSilentWorkers(ctx)));
  }

  /**
   * After a rolled-back transaction: reload memory from the database and, while writes fail, probe with one;
   * once that commits, work resumes where the database says it is, with no restart.
   */
  #resumeWrites(): void {
    const probing = this.#health.failure !== undefined;
    const refusal = this.#atomically(() => {
      if (probing) this.ctx.store.probeWrite();
      applyEffects(this.ctx, reloadMemory(this.ctx));
    });
    if (refusal !== undefined) return;
    this.#health.recovered();
    // A pump asked for while writes failed is still pending (its flag set, nothing scheduled): run it now.
    this.#pumpQueued = false;
    this.#schedulePump();
  }

  #releaseRetries(): void {
    const { ctx } = this;
    if (ctx.retryAt.size === 0 || this.#health.failure !== undefined) return;
    this.#atomically(() => this.#releaseRetriesNow());
  }

  #releaseRetriesNow(): void {
    const { ctx } = this;
    const now = ctx.runtime.now();
    for (const [taskId, at] of ctx.retryAt) {
      if (at > now) continue;
      ctx.retryAt.delete(taskId);
      const row = ctx.transitions.requeue(taskId);
      if (row === undefined) continue;
      applyEffects(ctx, [{ kind: 'enqueue', row }, { kind: 'pump' }]);
    }
  }

  #schedulePump(): void {
    if (this.#pumpQueued || this.#stopped) return;
    this.#pumpQueued = true;
    setImmediate(() => {
      if (this.#pumpQueued && !this.#stopped) this.#atomically(() => this.#pumpNow());
    });
  }

  /** Run a requested pump now, inside the caller's transaction. */
  #pumpNow(): void {
    // While writes fail, leasing cannot commit: the request stays pending for the recovery to run.
    if (!this.#pumpQueued || this.#stopped || this.#health.failure !== undefined) return;
    this.#pumpQueued = false;
    const { scheduler } = this.ctx;
    if (scheduler === undefined) {
      pump(this.ctx);
      return;
    }
    applyEffects(this.ctx, scheduler.place());
    pump(this.ctx, (worker) => scheduler.appetite(worker));
  }
}
