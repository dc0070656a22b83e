import type { RigEvent, TaskClass, WorkerInfo } from '@rigmind/protocol';
import {
  DEFAULT_KNOBS,
  type CardView,
  type Decision,
  type Policy,
  type SchedTask,
  type SchedulerKnobs,
  type UpcomingTask,
} from '../scheduler/types.js';
import { swapAwarePolicy } from '../scheduler/swap-aware-policy.js';
import type { ReadyIndex } from '../scheduler/ready-index.js';
import { modelServersOf } from '../scheduler/upcoming.js';
import type { BrainCore } from './brain-context.js';
import type { BrainEffect } from './effects.js';
import { CardBook, type CardBelief } from './card-book.js';
import { brainWorkEta } from './brain-work-eta.js';
import { TtlCache } from './ttl-cache.js';
import { beliefsOf, brainCardsOf, isBrainWorker, viewsOf, type BrainCards } from './card-views.js';
import { dispatchTo } from './dispatcher.js';
import type { LiveRigSpec } from './live-rig-spec.js';
import { DEFAULT_ESTIMATE_S, LiveReady, anyNeeding } from './live-ready.js';
import { preemptFor, resourceOn } from './live-switches.js';
import type { WorkerAppetite } from './ready-queue.js';
import { UpcomingWork } from './upcoming-work.js';
import type { WorkerEntry } from './worker-registry.js';

const GPU_CLASSES: readonly TaskClass[] = ['script', 'llm'];
/** Whether the swap-aware scheduler places this worker's GPU work: one card, worker executor, GPU classes served. */
export function isPlaced(info: WorkerInfo | undefined): boolean {
  return (
    info !== undefined &&
    info.executor === 'worker' &&
    info.gpus.length === 1 &&
    info.classes.some((c) => GPU_CLASSES.includes(c))
  );
}

/** Placed workers, and the brain worker (its tasks, and its cards lent to worker scripts while it is idle). */
function isScheduled(info: WorkerInfo | undefined): boolean {
  return isPlaced(info) || isBrainWorker(info);
}

/**
 * The swap-aware policy, live. Each pump it builds the policy's input from the ready queue, the GPU work one step
 * from ready, and the cards of single-card workers as the brain believes them, then carries out the decisions:
 * `start` leases the task to the card's worker, whose run makes the switch it needs; `prepare` (a card readied
 * for work not yet ready, or freed for it) is a `load_llm` / `unload_llm` resource task; `preempt` stops a running
 * task and re-queues it. The brain worker's cards are placed too: its tasks run there with the brain model, and
 * while it is idle the policy may lend a card to worker scripts, taking it back ahead of the next brain task (see
 * BrainWorkEta). Multi-card worker executors and cpu work stay with the seed's order (see `appetite`).
 */
export class LiveScheduler {
  readonly cards = new CardBook();
  readonly #upcoming: UpcomingWork;
  /** The brain's blocked tasks with their expected ready time (re-read at most once a second). */
  readonly #brainEta = new TtlCache<UpcomingTask[]>(1_000);
  readonly #knobs: SchedulerKnobs;
  readonly #ready: LiveReady;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: BrainCore,
    private readonly spec: LiveRigSpec,
    private readonly policy: Policy = swapAwarePolicy,
    /** Wall seconds per scheduler second: 1 on a real rig; a simulated rig (`up --simulate`) runs faster. */
    private readonly timeScale = 1,
  ) {
    this.#upcoming = new UpcomingWork(ctx.store);
    this.#knobs = { ...DEFAULT_KNOBS, agingSPerPoint: ctx.config.aging_s_per_point };
    this.#ready = new LiveReady(ctx.queue, {
      seconds: (ms) => this.#seconds(ms),
      modelOf: (taskClass, model) => this.#modelOf(taskClass, model),
      noted: (model, kind) => this.spec.noteModel(model, kind),
    });
  }

  /** A worker registered (again). */
  onRegister(worker: WorkerEntry): void {
    // Every card is tracked (the brain's too, for its model), though only single-card workers' get placed work.
    if (worker.info !== undefined && worker.info.gpus.length > 0) this.cards.register(worker.id, worker.info.gpus);
  }

  /** A worker left or died. */
  onDrop(workerId: string): void {
    this.cards.drop(workerId);
  }

  /** A worker's card event. */
  onWorkerEvent(workerId: string, event: RigEvent): void {
    this.cards.observe(workerId, event);
    this.spec.observe(event);
  }

  /** Work arrived or finished: the look-ahead is re-read at the next pump. */
  invalidate(): void {
    this.#upcoming.invalidate();
    this.#brainEta.invalidate();
  }

  /** Stop the wake-up timer. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /**
   * What the seed's pump may offer a worker after placement. A placed worker gets cpu work only when placement left
   * its card idle, and never queued behind GPU work; everyone else is fed as the seed feeds them.
   */
  appetite(worker: WorkerEntry): WorkerAppetite | undefined {
    const info = worker.info;
    if (info === undefined) return undefined;
    if (!isScheduled(info))
      return { classes: info.classes as TaskClass[], prefer: info.prefer, executor: info.executor };
    if (worker.leases.size > 0) return undefined;
    const classes = (info.classes as TaskClass[]).filter((c) => !GPU_CLASSES.includes(c));
    return classes.length === 0 ? undefined : { classes, executor: info.executor };
  }

  /** Decide and carry out this pump's GPU placements; returns what follows (preempted tasks re-queued). */
  place(): readonly BrainEffect[] {
    const { ctx } = this;
    const now = ctx.runtime.now();
    const nowS = this.#seconds(now);
    const views: CardView[] = [];
    const beliefs: CardBelief[] = [];
    for (const worker of ctx.workers.all()) {
      if (!isPlaced(worker.info) || worker.identity === undefined) continue;
      const cards = beliefsOf(this.cards, worker);
      beliefs.push(...cards);
      views.push(...viewsOf(worker, cards, nowS));
    }
    const brain = brainCardsOf(ctx.workers.all());
    if (brain !== undefined) {
      const cards = beliefsOf(this.cards, brain.worker, brain.model);
      beliefs.push(...cards);
      views.push(...viewsOf(brain.worker, cards, nowS, brain.model));
    }
    if (views.length === 0) return [];
    const rig = this.spec.spec(beliefs, brain === undefined ? null : { model: brain.model, gpus: brain.gpus });
    const ready = this.#ready.forBrain(brain?.model ?? null);
    const upcoming = [
      ...this.#upcoming.list(
        now,
        nowS,
        (row) => row.estimate_s ?? DEFAULT_ESTIMATE_S[row.task_class],
        (row) => this.#modelOf(row.task_class, row.model),
      ),
    ];
    if (brain !== undefined) {
      const eta = this.#brainEta.get(now, () =>
        brainWorkEta(ctx.store, now, {
          seconds: (ms) => this.#seconds(ms),
          estimateOf: (taskClass, estimateS) => estimateS ?? (taskClass === 'cpu' ? 0 : DEFAULT_ESTIMATE_S[taskClass]),
          modelOf: (row) =>
            row.executor === 'brain'
              ? brain.model
              : row.task_class === 'cpu'
                ? null
                : this.#modelOf(row.task_class, row.model),
          cards: rig.cards.length - brain.gpus.length,
          servers: modelServersOf(views, rig, this.#knobs),
        }),
      );
      upcoming.push(...eta);
    }
    const output = this.policy({ nowS, ready, upcoming, cards: views, cpuFree: 0, rig, knobs: this.#knobs });
    const effects: BrainEffect[] = [];
    for (const decision of output.decisions) effects.push(...this.#apply(decision, ready, upcoming, nowS, brain));
    if (output.decisions.some((decision) => decision.kind === 'start')) {
      // What was just started makes its dependents "soon ready": look again, so free cards can get ready for them.
      this.#upcoming.invalidate();
      ctx.schedulePump();
    }
    this.#wakeAt(output.wakeAtS, now);
    return effects;
  }

  /** The scheduler's clock: estimates and load times are in rig seconds, which a simulated rig compresses. */
  #seconds(ms: number): number {
    return ms / 1000 / this.timeScale;
  }

  #modelOf(taskClass: 'script' | 'llm', model: string | null | undefined): string | null {
    if (taskClass === 'llm') return model ?? this.ctx.config.default_llm_model;
    return model ?? null;
  }

  #apply(
    decision: Decision,
    tasks: ReadyIndex,
    upcoming: readonly SchedTask[],
    nowS: number,
    brain: BrainCards | undefined,
  ): readonly BrainEffect[] {
    if (decision.kind === 'preempt') return preemptFor(this.ctx, this.cards, decision.taskId);
    this.#place(decision, tasks, upcoming, nowS, brain);
    return [];
  }

  #place(
    decision: Exclude<Decision, { kind: 'preempt' }>,
    tasks: ReadyIndex,
    upcoming: readonly SchedTask[],
    nowS: number,
    brain: BrainCards | undefined,
  ): void {
    const { ctx } = this;
    const gpu = decision.gpus[0];
    const card = gpu === undefined ? undefined : this.cards.get(gpu);
    const worker = card === undefined ? undefined : ctx.workers.get(card.workerId);
    if (card === undefined || worker === undefined) return;
    const onBrain = brain !== undefined && worker === brain.worker;
    // Only the brain worker's model spans cards; anything else wider is not placed live.
    if (decision.gpus.length !== 1 && !(onBrain && decision.gpus.length === brain.gpus.length)) return;
    // The brain worker does one thing at a time (its card manager switches the pair as one): one lent card per turn.
    if (onBrain && worker.leases.size > 0) return;
    const llmHeld = card.models.find((model) => this.spec.kindOf(model) === 'llm' || model === brain?.model);
    if (decision.kind === 'prepare') {
      const planId = (anyNeeding(tasks, decision.model) ?? upcoming.find((task) => task.model === decision.model))?.id;
      const plan = planId === undefined ? undefined : ctx.store.task(planId)?.plan_id;
      if (plan === undefined) return;
      if (this.spec.kindOf(decision.model) === 'llm' || decision.model === brain?.model)
        resourceOn(
          this.ctx,
          this.spec,
          this.cards,
          worker,
          card,
          'load_llm',
          decision.model,
          plan,
          `ahead of ${decision.model} work`,
          nowS,
        );
      else if (llmHeld !== undefined)
        resourceOn(
          this.ctx,
          this.spec,
          this.cards,
          worker,
          card,
          'unload_llm',
          llmHeld,
          plan,
          `card freed for ${decision.model} work`,
          nowS,
        );
      return;
    }
    const task = tasks.get(decision.taskId);
    const row = ctx.store.task(decision.taskId);
    if (
      task === undefined ||
      row === undefined ||
      !(worker.info?.classes as TaskClass[] | undefined)?.includes(task.taskClass)
    )
      return;
    // A brain task runs on all the brain's cards; worker work on a lent brain card is told which card.
    const lent = onBrain && task.executor === 'worker' ? [card.gpu] : undefined;
    // The task's own run does the switch it needs (the worker checks a prompt fits before loading anything).
    const leased = dispatchTo(
      ctx,
      worker,
      task.id,
      ctx.runtime.now(),
      { policy: 'swap-aware', gpus: [...decision.gpus], load: decision.load, unload: decision.unload },
      lent,
    );
    if (leased === undefined) return;
    // What the run will hold: the freed cards (the whole 14B pair when it goes) empty, then the task's model on its
    // cards.
    for (const freed of decision.unload) {
      const other = this.cards.get(freed);
      if (other !== undefined) other.models = [];
    }
    const model = task.model;
    if (model !== null) {
      const replaces = this.spec.kindOf(model) === 'llm' || model === brain?.model;
      for (const gpu of decision.gpus) {
        const each = this.cards.get(gpu);
        if (each !== undefined && (replaces || each.models.length === 0)) each.models = [model];
      }
    }
    card.run = {
      taskId: task.id,
      priority: task.priority,
      model,
      startedAtS: nowS,
      estimateS: task.estimateS,
      executor: task.executor,
    };
  }

  #wakeAt(wakeAtS: number | null, now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (wakeAtS === null) return;
    this.#timer = setTimeout(() => this.ctx.schedulePump(), Math.max(10, wakeAtS * 1000 * this.timeScale - now));
    this.#timer.unref();
  }
}
