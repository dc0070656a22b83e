import type { GpuInfo, RigEvent } from '@rigmind/protocol';

/** What the brain runs on a card it places work on. */
export interface CardRun {
  readonly taskId: string;
  readonly priority: number;
  readonly model: string | null;
  readonly startedAtS: number;
  readonly estimateS: number;
  /** Whose work it is: a brain task on the brain's cards, or worker work (on a worker's card or a lent one). */
  readonly executor: 'brain' | 'worker';
}

/** What the brain believes about one card. */
export interface CardBelief {
  readonly gpu: number;
  readonly workerId: string;
  readonly vramMb: number;
  /** Models on the card: what the brain asked for, corrected by the worker's model_loaded / model_unloaded events. */
  models: string[];
  /** The work the scheduler placed on it that has not ended. */
  run: CardRun | null;
}

/**
 * The brain's picture of the cards it schedules: which worker owns each, what each holds and runs. The brain's
 * own decisions set it at once (so the next decision sees them); the workers' card events correct it when the
 * work actually happens, so a load that failed or a script that freed the card is seen as it is.
 */
export class CardBook {
  readonly #cards = new Map<number, CardBelief>();

  /** A worker registered with these cards. What a card held is kept when it is the same worker coming back. */
  register(workerId: string, gpus: readonly GpuInfo[]): void {
    for (const gpu of gpus) {
      const known = this.#cards.get(gpu.index);
      const same = known?.workerId === workerId;
      this.#cards.set(gpu.index, {
        gpu: gpu.index,
        workerId,
        vramMb: gpu.vram_mb,
        models: same ? known.models : [],
        run: same ? known.run : null,
      });
    }
  }

  /** A worker is gone: its cards are unknown again. */
  drop(workerId: string): void {
    for (const [gpu, card] of this.#cards) if (card.workerId === workerId) this.#cards.delete(gpu);
  }

  /** One card. */
  get(gpu: number): CardBelief | undefined {
    return this.#cards.get(gpu);
  }

  /** Every known card. */
  all(): CardBelief[] {
    return [...this.#cards.values()];
  }

  /** Apply a worker's card event (model_loaded / model_unloaded) to the cards it names. */
  observe(workerId: string, event: RigEvent): void {
    if (event.event_type !== 'model_loaded' && event.event_type !== 'model_unloaded') return;
    const model = typeof event.detail?.['model'] === 'string' ? event.detail['model'] : undefined;
    if (model === undefined) return;
    const listed = event.detail?.['gpus'];
    const gpus = Array.isArray(listed)
      ? listed.filter((gpu): gpu is number => typeof gpu === 'number')
      : event.gpu_id != null
        ? [event.gpu_id]
        : [];
    for (const gpu of gpus) {
      const card = this.#cards.get(gpu);
      if (card === undefined || card.workerId !== workerId) continue;
      if (event.event_type === 'model_loaded' && !card.models.includes(model)) card.models = [...card.models, model];
      if (event.event_type === 'model_unloaded') card.models = card.models.filter((held) => held !== model);
    }
  }
}
