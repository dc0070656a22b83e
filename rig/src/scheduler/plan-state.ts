import { freeingSet } from './card-groups.js';
import { ExactSum, ReadyIndex, laneOf, weightOf, type Lane, type ModelBook } from './ready-index.js';
import { canHold, fitsBeside, mayLoadBeside } from './rig-spec.js';
import { OrderedWalk, type SortedBucket } from './sorted-bucket.js';
import type { CardView, Decision, SchedTask, SchedulerInput } from './types.js';

/** A way to run a task on some cards: what to free, what to load, and how long until it can start. */
export interface Placement {
  readonly gpus: readonly number[];
  readonly unload: readonly number[];
  readonly load: string | null;
  readonly costS: number;
}

/** The policy's order of ready tasks: effective priority (with aging), then the longer tail, then age, then plan. */
export function pendingOrder(nowS: number, agingSPerPoint: number): (a: SchedTask, b: SchedTask) => number {
  const score = (task: SchedTask): number => task.priority + Math.max(0, nowS - task.readyAtS) / agingSPerPoint;
  return (a, b) => score(b) - score(a) || b.tailS - a.tailS || a.readyAtS - b.readyAtS || a.seq - b.seq;
}

/**
 * The swap-aware policy's working copy of the rig during one decision: which cards are still free, what each will
 * hold once the decisions so far are carried out, and the tasks not yet placed: the ready index less the tasks
 * placed in this decision (the index itself is the caller's and is not changed). Mutated only by `commit`.
 */
export class PlanState {
  readonly free: Set<number>;
  readonly held = new Set<number>();
  /** Held brain cards waiting for a partner, with when the last partner frees: a gap short urgent work may use. */
  readonly gapUntil = new Map<number, number>();
  readonly models = new Map<number, string[]>();
  readonly groups = new Map<number, Record<string, readonly number[]>>();
  readonly cardOf: Map<number, CardView>;
  readonly decisions: Decision[] = [];
  /** For cards given work in this decision: when that work is expected to end (switch plus the task's estimate). */
  readonly busyUntil = new Map<number, number>();
  readonly index: ReadyIndex;
  readonly order: (a: SchedTask, b: SchedTask) => number;
  /** Tasks placed in this decision, by the book they count in. */
  readonly #taken = new Map<ModelBook, SchedTask[]>();
  readonly #takenIds = new Set<string>();
  /** Without a brain in the profile, brain tasks are ordinary work on their own model. */
  readonly #workerLanes: readonly Lane[];

  constructor(readonly input: SchedulerInput) {
    this.cardOf = new Map(input.cards.map((card) => [card.gpu, card]));
    this.free = new Set(input.cards.filter((card) => card.busyUntilS === null).map((card) => card.gpu));
    for (const card of input.cards) {
      this.models.set(card.gpu, [...card.models]);
      this.groups.set(card.gpu, { ...card.groups });
    }
    this.index = input.ready instanceof ReadyIndex ? input.ready : ReadyIndex.of(input.ready);
    this.order = pendingOrder(input.nowS, input.knobs.agingSPerPoint);
    this.#workerLanes = input.rig.brain === null ? ['worker', 'brain'] : ['worker'];
  }

  /** Whether a task is the brain's own (never on a rig without a brain). */
  isBrain(task: SchedTask): boolean {
    return task.executor === 'brain' && this.input.rig.brain !== null;
  }

  /** The books of worker GPU work (brain work too on a rig without a brain). */
  workerBooks(): ModelBook[] {
    return this.#workerLanes.flatMap((lane) => this.index.books(lane));
  }

  /** The books of the brain's GPU work (none on a rig without a brain). */
  brainBooks(): readonly ModelBook[] {
    return this.input.rig.brain === null ? [] : this.index.books('brain');
  }

  /** The books of cpu work, any executor. */
  cpuBooks(): ModelBook[] {
    return [...this.index.books('worker-cpu'), ...this.index.books('brain-cpu')];
  }

  /** Walk the tasks not yet placed of `books` in the policy's order; `until` ends each bucket's walk early. */
  walk(books: Iterable<ModelBook>, until?: (task: SchedTask) => boolean): OrderedWalk {
    const buckets: SortedBucket[] = [];
    for (const book of books) if (this.count(book) > 0) buckets.push(...book.buckets.values());
    return new OrderedWalk(buckets, this.order, (entry) => this.#skips(entry), until);
  }

  /** Walk one bucket's tasks not yet placed, from position `start`. */
  walkFrom(bucket: SortedBucket, start = 0): OrderedWalk {
    return new OrderedWalk([bucket], this.order, (entry) => this.#skips(entry), undefined, start);
  }

  /** Tasks of a book not yet placed. */
  count(book: ModelBook): number {
    return book.count - (this.#taken.get(book)?.length ?? 0);
  }

  /** The first task not yet placed of worker GPU work on `model`, if any. */
  firstWorkerTask(model: string | null): SchedTask | undefined {
    return this.walk(this.workerBooks().filter((book) => book.model === model)).next();
  }

  /** Whether any brain task (cpu or GPU) waits to be placed. */
  brainPending(): boolean {
    if (this.input.rig.brain === null) return false;
    return [...this.index.books('brain'), ...this.index.books('brain-cpu')].some((book) => this.count(book) > 0);
  }

  /** Weighted work (estimate x priority / 5) of a book's tasks not yet placed. */
  weighted(book: ModelBook): number {
    return this.#less(book, book.weighted, weightOf);
  }

  /** Estimated seconds of a book's tasks not yet placed. */
  work(book: ModelBook): number {
    return this.#less(book, book.work, (task) => task.estimateS);
  }

  /** The longest tail among a book's tasks not yet placed (0 if none). */
  maxTail(book: ModelBook): number {
    const taken = this.#taken.get(book) ?? [];
    for (const tail of book.tails) {
      const left = (book.tailCount.get(tail) ?? 0) - taken.filter((task) => task.tailS === tail).length;
      if (left > 0) return tail;
    }
    return 0;
  }

  /** Cards free and not held back for something else. */
  available(): number[] {
    return [...this.free].filter((gpu) => !this.held.has(gpu)).sort((a, b) => a - b);
  }

  /** Models on a card once the decisions so far are carried out. */
  modelsOn(gpu: number): readonly string[] {
    return this.models.get(gpu) ?? [];
  }

  /** Instances of `model` on the rig (busy or not), counting a multi-card instance once. */
  servers(model: string): number {
    const width = this.input.rig.models[model]?.gpus ?? 1;
    let cards = 0;
    for (const held of this.models.values()) if (held.includes(model)) cards += 1;
    return Math.floor(cards / width);
  }

  /**
   * The cheapest way to run `model` on `gpus` (all free), or undefined if it cannot: already there, a co-resident
   * load, or freeing the cards (and any card sharing a multi-card model with them, which must be free too).
   */
  placementOn(gpus: readonly number[], model: string | null, extraMb = 0): Placement | undefined {
    const { rig } = this.input;
    const width = model === null ? 1 : (rig.models[model]?.gpus ?? 1);
    if (gpus.length !== width) return undefined;
    const first = gpus[0] ?? -1;
    if (model !== null && this.modelsOn(first).includes(model)) {
      const group = this.groups.get(first)?.[model] ?? [first];
      if (group.length === gpus.length && gpus.every((gpu) => group.includes(gpu)))
        return { gpus, unload: [], load: null, costS: 0 };
    }
    const beside = gpus.every((gpu) => {
      const held = this.modelsOn(gpu);
      const vram = this.cardOf.get(gpu)?.vramMb ?? 0;
      return model === null
        ? fitsBeside(rig, vram, held, null, extraMb)
        : !held.includes(model) && mayLoadBeside(rig, vram, held, model);
    });
    const loadS = model === null ? 0 : (rig.models[model]?.loadS ?? 0);
    if (beside) return { gpus, unload: [], load: model, costS: loadS };
    // Freeing a card too small for the model (or the script's vram_mb) does not make room for it.
    if (!gpus.every((gpu) => canHold(rig, this.cardOf.get(gpu)?.vramMb ?? 0, model, model === null ? extraMb : 0)))
      return undefined;
    const unload = freeingSet(this.viewNow(), gpus);
    if (unload.some((gpu) => !this.free.has(gpu) || this.held.has(gpu))) return undefined;
    return { gpus, unload, load: model, costS: rig.unloadS + loadS };
  }

  /** Leave `task` out of the rest of this decision without starting it (it waits for a card promised to it). */
  reserve(task: SchedTask): void {
    const book = this.index.book(laneOf(task), task.model);
    if (book !== undefined) this.#taken.set(book, [...(this.#taken.get(book) ?? []), task]);
    this.#takenIds.add(task.id);
  }

  /** Record a decision and what it does to the cards. */
  commit(placement: Placement, task: SchedTask | null, model: string | null = task?.model ?? null): void {
    const { gpus, unload, load } = placement;
    if (task !== null) {
      this.decisions.push({ kind: 'start', taskId: task.id, gpus: [...gpus], unload: [...unload], load });
      this.reserve(task);
    } else if (model !== null) {
      this.decisions.push({ kind: 'prepare', gpus: [...gpus], unload: [...unload], model });
    }
    for (const gpu of unload) {
      this.models.set(gpu, []);
      this.groups.set(gpu, {});
    }
    for (const gpu of [...gpus, ...unload]) this.free.delete(gpu);
    const { nowS, rig } = this.input;
    for (const gpu of unload) this.busyUntil.set(gpu, nowS + rig.unloadS);
    for (const gpu of gpus) this.busyUntil.set(gpu, nowS + placement.costS + (task?.estimateS ?? 0));
    if (load !== null) {
      const multi = (this.input.rig.models[load]?.gpus ?? 1) > 1;
      for (const gpu of gpus) {
        this.models.set(gpu, [...this.modelsOn(gpu), load]);
        if (multi) this.groups.set(gpu, { ...this.groups.get(gpu), [load]: [...gpus] });
      }
    }
  }

  /** Card views reflecting the decisions so far (for the group helpers). */
  viewNow(): Map<number, CardView> {
    const out = new Map<number, CardView>();
    for (const [gpu, card] of this.cardOf)
      out.set(gpu, { ...card, models: this.modelsOn(gpu), groups: this.groups.get(gpu) ?? {} });
    return out;
  }

  #skips(entry: { readonly task: SchedTask }): boolean {
    return this.#takenIds.has(entry.task.id) || !this.index.isLive(entry);
  }

  #less(book: ModelBook, sum: ExactSum, of: (task: SchedTask) => number): number {
    const taken = this.#taken.get(book);
    if (taken === undefined || taken.length === 0) return sum.value;
    if (taken.length === book.count) return 0;
    const left = new ExactSum();
    left.hi = sum.hi;
    left.lo = sum.lo;
    for (const task of taken) left.add(-of(task));
    return left.value;
  }
}
