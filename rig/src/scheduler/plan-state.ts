import { freeingSet } from './card-groups.js';
import { fitsBeside, mayLoadBeside } from './rig-spec.js';
import type { CardView, Decision, SchedTask, SchedulerInput } from './types.js';

/** A way to run a task on some cards: what to free, what to load, and how long until it can start. */
export interface Placement {
  readonly gpus: readonly number[];
  readonly unload: readonly number[];
  readonly load: string | null;
  readonly costS: number;
}

/**
 * The swap-aware policy's working copy of the rig during one decision: which cards are still free, what each will
 * hold once the decisions so far are carried out, and the tasks not yet placed. Mutated only by `commit`.
 */
export class PlanState {
  readonly free: Set<number>;
  readonly held = new Set<number>();
  readonly models = new Map<number, string[]>();
  readonly groups = new Map<number, Record<string, readonly number[]>>();
  readonly cardOf: Map<number, CardView>;
  readonly decisions: Decision[] = [];
  pending: SchedTask[];

  constructor(readonly input: SchedulerInput) {
    this.cardOf = new Map(input.cards.map((card) => [card.gpu, card]));
    this.free = new Set(input.cards.filter((card) => card.busyUntilS === null).map((card) => card.gpu));
    for (const card of input.cards) {
      this.models.set(card.gpu, [...card.models]);
      this.groups.set(card.gpu, { ...card.groups });
    }
    const { nowS, knobs } = input;
    const score = (task: SchedTask): number => task.priority + Math.max(0, nowS - task.readyAtS) / knobs.agingSPerPoint;
    // Without a brain in the profile, brain tasks are ordinary work on their own model.
    const ready =
      input.rig.brain === null ? input.ready.map((task) => ({ ...task, executor: 'worker' as const })) : input.ready;
    this.pending = [...ready].sort(
      (a, b) => score(b) - score(a) || b.tailS - a.tailS || a.readyAtS - b.readyAtS || a.seq - b.seq,
    );
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

  /** Pending plus upcoming (within the lookahead) work for `model`, in seconds. */
  demand(model: string | null, brainToo = false): number {
    const { nowS, knobs } = this.input;
    let total = 0;
    for (const task of this.pending)
      if (task.model === model && (brainToo || task.executor === 'worker')) total += task.estimateS;
    for (const task of this.input.upcoming) {
      if (task.model === model && task.etaS - nowS <= knobs.lookaheadS && (brainToo || task.executor === 'worker'))
        total += task.estimateS;
    }
    return total;
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
    const unload = freeingSet(this.viewNow(), gpus);
    if (unload.some((gpu) => !this.free.has(gpu) || this.held.has(gpu))) return undefined;
    return { gpus, unload, load: model, costS: rig.unloadS + loadS };
  }

  /** Record a decision and what it does to the cards. */
  commit(placement: Placement, task: SchedTask | null, model: string | null = task?.model ?? null): void {
    const { gpus, unload, load } = placement;
    if (task !== null) {
      this.decisions.push({ kind: 'start', taskId: task.id, gpus: [...gpus], unload: [...unload], load });
      this.pending = this.pending.filter((other) => other.id !== task.id);
    } else if (model !== null) {
      this.decisions.push({ kind: 'prepare', gpus: [...gpus], unload: [...unload], model });
    }
    for (const gpu of unload) {
      this.models.set(gpu, []);
      this.groups.set(gpu, {});
    }
    for (const gpu of [...gpus, ...unload]) this.free.delete(gpu);
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
}
