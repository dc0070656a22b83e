import { createMessage, type RigEvent, type TaskClass, type WorkerInfo } from '@rigmind/protocol';
import { DEFAULT_KNOBS, type CardView, type Decision, type Policy, type SchedTask, type SchedulerKnobs } from '../scheduler/types.js';
import { swapAwarePolicy } from '../scheduler/swap-aware-policy.js';
import type { BrainContext } from './brain-context.js';
import { enqueue } from './apply-effect.js';
import { CardBook, type CardBelief } from './card-book.js';
import { dispatchTo } from './dispatcher.js';
import type { LiveRigSpec } from './live-rig-spec.js';
import type { WorkerAppetite } from './ready-queue.js';
import { startResourceTask } from './resource-tasks.js';
import { UpcomingWork } from './upcoming-work.js';
import type { WorkerEntry } from './worker-registry.js';

/** Seconds assumed for a task without an estimate. */
const DEFAULT_ESTIMATE_S: Readonly<Record<'script' | 'llm', number>> = { script: 30, llm: 60 };
const GPU_CLASSES: readonly TaskClass[] = ['script', 'llm'];
const BRAIN_WORK_SQL = "SELECT plan_id FROM tasks WHERE status IN ('queued', 'blocked') AND executor = 'brain' AND task_class IN ('llm', 'script') LIMIT 1";

/** A value read at most once per `ttlMs`. */
class TtlValue<T> {
  #cached: { at: number; value: T } | undefined;
  constructor(
    private readonly ttlMs: number,
    private readonly read: () => T,
  ) {}
  get(now: number): T {
    if (this.#cached === undefined || now - this.#cached.at >= this.ttlMs) this.#cached = { at: now, value: this.read() };
    return this.#cached.value;
  }
  invalidate(): void {
    this.#cached = undefined;
  }
}

/** Whether the swap-aware scheduler places this worker's GPU work: one card, worker executor, GPU classes served. */
export function isPlaced(info: WorkerInfo | undefined): boolean {
  return info !== undefined && info.executor === 'worker' && info.gpus.length === 1 && info.classes.some((c) => GPU_CLASSES.includes(c));
}

/**
 * The swap-aware policy, live. Each pump it builds the policy's input from the ready queue, the GPU work one step
 * from ready, and the cards of single-card workers as the brain believes them, then carries out the decisions:
 * `start` leases the task to the card's worker, whose run makes the switch it needs; `prepare` (a card readied
 * for work not yet ready, or freed for it) is a `load_llm` / `unload_llm` resource task; `preempt` stops a running
 * task and re-queues it. The brain's own
 * cards, multi-card workers and cpu work stay with the seed's order (see `appetite`).
 */
export class LiveScheduler {
  readonly cards = new CardBook();
  readonly #upcoming: UpcomingWork;
  /** The plan of some live brain task, if any (read at most once a second). */
  readonly #brainWork: TtlValue<string | undefined>;
  readonly #knobs: SchedulerKnobs;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: BrainContext,
    private readonly spec: LiveRigSpec,
    private readonly policy: Policy = swapAwarePolicy,
    /** Wall seconds per scheduler second: 1 on a real rig; a simulated rig (`up --simulate`) runs faster. */
    private readonly timeScale = 1,
  ) {
    this.#upcoming = new UpcomingWork(ctx.store);
    this.#brainWork = new TtlValue(1_000, () => ctx.store.stmt(BRAIN_WORK_SQL).pluck().get() as string | undefined);
    this.#knobs = { ...DEFAULT_KNOBS, agingSPerPoint: ctx.config.aging_s_per_point };
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
    this.#brainWork.invalidate();
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
    if (!isPlaced(info)) return { classes: info.classes as TaskClass[], prefer: info.prefer, executor: info.executor };
    if (worker.leases.size > 0) return undefined;
    const classes = (info.classes as TaskClass[]).filter((c) => !GPU_CLASSES.includes(c));
    return classes.length === 0 ? undefined : { classes, executor: info.executor };
  }

  /** Decide and carry out this pump's GPU placements. */
  place(): void {
    const { ctx } = this;
    const now = ctx.now();
    const nowS = this.#seconds(now);
    const placed = ctx.workers.all().filter((worker) => isPlaced(worker.info) && worker.identity !== undefined);
    const views: CardView[] = [];
    const beliefs: CardBelief[] = [];
    for (const worker of placed) {
      const card = this.#cardOf(worker);
      if (card === undefined) continue;
      if (card.run !== null && !worker.leases.has(card.run.taskId)) card.run = null;
      beliefs.push(card);
      const busy = worker.leases.size > 0 || !worker.accepting;
      const endS = card.run === null ? nowS + 1 : Math.max(nowS + 1, card.run.startedAtS + card.run.estimateS);
      views.push({
        gpu: card.gpu,
        vramMb: card.vramMb,
        models: [...card.models],
        groups: {},
        busyUntilS: busy ? endS : null,
        running: card.run === null ? null : { taskId: card.run.taskId, priority: card.run.priority, executor: 'worker', model: card.run.model, gpus: [card.gpu], startedAtS: card.run.startedAtS },
      });
    }
    this.#brainModelAhead(now, nowS);
    if (views.length === 0) return;
    const ready = this.#readyTasks(nowS);
    const upcoming = this.#upcoming.list(now, nowS, (row) => row.estimate_s ?? DEFAULT_ESTIMATE_S[row.task_class], (row) => this.#modelOf(row.task_class, row.model));
    const rig = this.spec.spec(beliefs);
    const output = this.policy({ nowS, ready, upcoming, cards: views, cpuFree: 0, rig, knobs: this.#knobs });
    const taskById = new Map(ready.map((task) => [task.id, task]));
    for (const decision of output.decisions) this.#apply(decision, taskById, upcoming, nowS);
    if (output.decisions.some((decision) => decision.kind === 'start')) {
      // What was just started makes its dependents "soon ready": look again, so free cards can get ready for them.
      this.#upcoming.invalidate();
      ctx.schedulePump();
    }
    this.#wakeAt(output.wakeAtS, now);
  }

  /**
   * The brain's cards hold the brain's model whenever brain work is on the way: an idle brain executor without it
   * gets a `load_llm` as soon as a live plan has a brain task, rather than paying the 14B load when that task is
   * finally ready at the end of the plan.
   */
  #brainModelAhead(now: number, nowS: number): void {
    const { ctx } = this;
    for (const worker of ctx.workers.all()) {
      const info = worker.info;
      if (info === undefined || info.executor !== 'brain' || info.model === undefined || worker.identity === undefined || worker.leases.size > 0) continue;
      const card = this.cards.get(info.gpus[0]?.index ?? -1);
      if (card === undefined || card.workerId !== worker.id || card.models.includes(info.model)) continue;
      const planId = this.#brainWork.get(now);
      if (planId === undefined) continue;
      this.#resource(worker, card, 'load_llm', info.model, planId, 'the brain model, ahead of brain work', nowS);
      for (const gpu of info.gpus) {
        const other = this.cards.get(gpu.index);
        if (other !== undefined && other !== card) other.models = [info.model];
      }
    }
  }

  /** The scheduler's clock: estimates and load times are in rig seconds, which a simulated rig compresses. */
  #seconds(ms: number): number {
    return ms / 1000 / this.timeScale;
  }

  #cardOf(worker: WorkerEntry): CardBelief | undefined {
    const gpu = worker.info?.gpus[0]?.index;
    if (gpu === undefined) return undefined;
    let card = this.cards.get(gpu);
    if (card === undefined || card.workerId !== worker.id) {
      this.cards.register(worker.id, worker.info?.gpus ?? []);
      card = this.cards.get(gpu);
    }
    return card;
  }

  #modelOf(taskClass: 'script' | 'llm', model: string | null | undefined): string | null {
    if (taskClass === 'llm') return model ?? this.ctx.config.default_llm_model;
    return model ?? null;
  }

  #readyTasks(nowS: number): SchedTask[] {
    const out: SchedTask[] = [];
    for (const entry of this.ctx.queue.entries()) {
      if (entry.executor !== 'worker' || (entry.task_class !== 'script' && entry.task_class !== 'llm')) continue;
      const model = this.#modelOf(entry.task_class, entry.model);
      if (model !== null) this.spec.noteModel(model, entry.task_class === 'llm' ? 'llm' : 'script');
      out.push({
        id: entry.task_id,
        taskClass: entry.task_class,
        executor: 'worker',
        model,
        priority: entry.priority,
        readyAtS: this.#seconds(entry.queued_at),
        seq: entry.seq,
        estimateS: entry.estimate_s ?? DEFAULT_ESTIMATE_S[entry.task_class],
        vramMb: entry.vram_mb ?? 0,
        tailS: 0,
      });
    }
    return out;
  }

  #apply(decision: Decision, tasks: ReadonlyMap<string, SchedTask>, upcoming: readonly SchedTask[], nowS: number): void {
    const { ctx } = this;
    if (decision.kind === 'preempt') {
      this.#preempt(decision.taskId);
      return;
    }
    const gpu = decision.gpus[0];
    if (decision.gpus.length !== 1 || gpu === undefined) return;
    const card = this.cards.get(gpu);
    const worker = card === undefined ? undefined : ctx.workers.get(card.workerId);
    if (card === undefined || worker === undefined) return;
    const llmHeld = card.models.find((model) => this.spec.kindOf(model) === 'llm');
    if (decision.kind === 'prepare') {
      const planId = [...tasks.values(), ...upcoming].find((task) => task.model === decision.model)?.id;
      const plan = planId === undefined ? undefined : ctx.store.task(planId)?.plan_id;
      if (plan === undefined) return;
      if (this.spec.kindOf(decision.model) === 'llm') this.#resource(worker, card, 'load_llm', decision.model, plan, `ahead of ${decision.model} work`, nowS);
      else if (llmHeld !== undefined) this.#resource(worker, card, 'unload_llm', llmHeld, plan, `card freed for ${decision.model} work`, nowS);
      return;
    }
    const task = tasks.get(decision.taskId);
    const row = ctx.store.task(decision.taskId);
    if (task === undefined || row === undefined || !(worker.info?.classes as TaskClass[] | undefined)?.includes(task.taskClass)) return;
    // The task's own run does the switch it needs (the worker checks a prompt fits before loading anything).
    const leased = dispatchTo(ctx, worker, task.id, ctx.now(), { policy: 'swap-aware', gpus: [gpu], load: decision.load, unload: decision.unload });
    if (leased === undefined) return;
    if (task.model !== null) card.models = this.spec.kindOf(task.model) === 'llm' || card.models.length === 0 ? [task.model] : card.models;
    card.run = { taskId: task.id, priority: task.priority, model: task.model, startedAtS: nowS, estimateS: task.estimateS };
  }

  #resource(worker: WorkerEntry, card: CardBelief, action: 'load_llm' | 'unload_llm', model: string, planId: string, why: string, nowS: number): void {
    const loadS = action === 'load_llm' ? (this.spec.spec([card]).models[model]?.loadS ?? 0) : 8;
    const taskId = startResourceTask(this.ctx, worker, { action, model, gpu: card.gpu, planId, estimateS: loadS, why });
    if (taskId === undefined) return;
    card.models = action === 'load_llm' ? [model] : card.models.filter((held) => held !== model);
    card.run = { taskId, priority: 10, model: action === 'load_llm' ? model : null, startedAtS: nowS, estimateS: loadS };
  }

  /** Stop a running task for urgent work: its attempt ends, it goes back to the queue in its old place, counted. */
  #preempt(taskId: string): void {
    const { ctx } = this;
    const lease = ctx.transitions.preempt(taskId, 'preempted for urgent work');
    if (lease === undefined) return;
    const worker = ctx.workers.get(lease.worker_id);
    worker?.leases.delete(taskId);
    if (worker?.identity !== undefined) {
      ctx.router.send(worker.identity, createMessage('cancel_task', { role: 'brain', id: ctx.id }, { task_id: taskId, attempt: lease.attempt, reason: 'preempted for urgent work' }));
    }
    for (const card of this.cards.all()) if (card.run?.taskId === taskId) card.run = null;
    const row = ctx.store.task(taskId);
    if (row === undefined) return;
    ctx.events.emit({ event_type: 'task_preempted', plan_id: row.plan_id, task_id: taskId, plan_task_id: row.name, worker_id: lease.worker_id, attempt: lease.attempt, cause: 'preempted for urgent work', detail: { preemptions: row.preemptions } });
    enqueue(ctx, row);
  }

  #wakeAt(wakeAtS: number | null, now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (wakeAtS === null) return;
    this.#timer = setTimeout(() => this.ctx.schedulePump(), Math.max(10, wakeAtS * 1000 * this.timeScale - now));
    this.#timer.unref();
  }
}
