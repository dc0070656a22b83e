import { mayLend, type BrainOutlook } from './brain-lending.js';
import type { PlanState } from './plan-state.js';
import type { SchedTask } from './types.js';

/**
 * Busy worker cards that hold (or are loading) a model, and when each can take another task of it. An urgent task
 * sent to a free card that must unload and load its model (minutes for an LLM) starts later than on a card holding
 * the model that frees in seconds; the measure is the start, counting loads. Each claim books the card for
 * the task's estimate, so a second urgent task of the same model looks at the card's next turn.
 */
export class WarmCards {
  /** Cards booked by a claim, and when they are free again. */
  readonly #booked = new Map<number, number>();

  constructor(
    private readonly state: PlanState,
    private readonly brain: BrainOutlook,
  ) {}

  /** When each busy card frees: booked by a claim, given work in this decision, or busy on arrival. */
  #freeAt(): Map<number, number> {
    const out = new Map<number, number>();
    for (const card of this.state.input.cards) {
      const at = this.#booked.get(card.gpu) ?? this.state.busyUntil.get(card.gpu) ?? card.busyUntilS;
      if (at !== null) out.set(card.gpu, at);
    }
    return out;
  }

  /**
   * Whether `task` (single-card) should wait for a busy card holding its model, because that card frees before
   * `coldCostS` (the cheapest switch on a free card, Infinity when none can take it) has elapsed; if so the card is
   * booked for it and the task is left out of the rest of this decision. It stays queued, overdue, and takes the card
   * first when it frees.
   */
  /** When the soonest busy card holding `model` frees (Infinity if none), as `claim` would count it. */
  soonest(model: string, runS: number): number {
    const { nowS } = this.state.input;
    let best = Infinity;
    for (const [gpu, at] of this.#freeAt()) {
      if (at >= best || !this.state.modelsOn(gpu).includes(model)) continue;
      if (mayLend(this.state, this.brain, [gpu], model, 0, runS + (at - nowS), false)) best = at;
    }
    return best;
  }

  claim(task: SchedTask, coldCostS: number): boolean {
    const { rig, nowS } = this.state.input;
    if (task.model === null || (rig.models[task.model]?.gpus ?? 1) !== 1) return false;
    let best: { gpu: number; at: number } | undefined;
    for (const [gpu, at] of this.#freeAt()) {
      if (best !== undefined && at >= best.at) continue;
      if (!this.state.modelsOn(gpu).includes(task.model)) continue;
      // A lent brain card counts only if the brain lets it run the task there then.
      if (mayLend(this.state, this.brain, [gpu], task.model, 0, task.estimateS + (at - nowS), false))
        best = { gpu, at };
    }
    if (best === undefined || best.at >= nowS + coldCostS) return false;
    this.#booked.set(best.gpu, best.at + task.estimateS);
    this.state.reserve(task);
    return true;
  }
}
