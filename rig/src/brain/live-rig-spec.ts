import type { RigEvent, RigProfile } from '@rigmind/protocol';
import type { ModelSpec, RigSpec } from '../scheduler/types.js';
import type { CardBelief } from './card-book.js';

/**
 * Switch costs for a model no profile describes: the seed's measurements (7B cold load 1.5-2 min, Whisper 3-5 s, VRAM
 * freed in 5-10 s).
 */
const UNKNOWN: Readonly<Record<'llm' | 'script', ModelSpec>> = {
  llm: { kind: 'llm', gpus: 1, vramMbPerGpu: 4_700, loadS: 105, unloadS: 8 },
  script: { kind: 'script', gpus: 1, vramMbPerGpu: 1_500, loadS: 4, unloadS: 8 },
};
const DEFAULT_UNLOAD_S = 8;
const DEFAULT_HEADROOM_MB = 300;

/**
 * The rig as the live scheduler sees it: the cards the brain places work on, and for each model its kind, size
 * and switch costs, from the rig profile when there is one, then replaced by the load times the rig measured
 * (every real model_loaded event), so the scheduler's switch costs follow the hardware it runs on.
 */
export class LiveRigSpec {
  readonly #measured = new Map<string, { totalS: number; n: number }>();
  readonly #kinds = new Map<string, 'llm' | 'script'>();

  constructor(private readonly profile: RigProfile | undefined) {}

  /** Load times measured before this start (from the event log). */
  seed(measured: ReadonlyMap<string, { meanS: number; samples: number }>): void {
    for (const [model, load] of measured)
      this.#measured.set(model, { totalS: load.meanS * load.samples, n: load.samples });
  }

  /** Remember what kind a model is from a task that names it (an llm task's model is an LLM). */
  noteModel(model: string, kind: 'llm' | 'script'): void {
    if (this.profile?.models[model] === undefined && !this.#kinds.has(model)) this.#kinds.set(model, kind);
  }

  /** A worker's real (not simulated) model_loaded event: one more measured load. */
  observe(event: RigEvent): void {
    if (event.event_type !== 'model_loaded' || event.duration_ms === undefined || event.detail?.['simulated'] === true)
      return;
    const model = event.detail?.['model'];
    if (typeof model !== 'string') return;
    const known = this.#measured.get(model) ?? { totalS: 0, n: 0 };
    this.#measured.set(model, { totalS: known.totalS + event.duration_ms / 1000, n: known.n + 1 });
  }

  /** The kind of a model, if known. */
  kindOf(model: string): 'llm' | 'script' | undefined {
    return this.profile?.models[model]?.kind ?? this.#kinds.get(model);
  }

  /**
   * The spec over `cards`. Live cards hold one model each (the workers switch as the seed does); the brain's cards,
   * when `brain` is given, are lent to worker script work only (see RigSpec.lendsLlm), and the brain model spans
   * exactly the brain worker's cards whatever the profile says.
   */
  spec(
    cards: readonly CardBelief[],
    brain: { readonly model: string; readonly gpus: readonly number[] } | null = null,
  ): RigSpec {
    const models: Record<string, ModelSpec> = {};
    const unloadS = this.profile?.unload_s ?? DEFAULT_UNLOAD_S;
    for (const [name, model] of Object.entries(this.profile?.models ?? {})) {
      models[name] = {
        kind: model.kind,
        gpus: model.gpus,
        vramMbPerGpu: model.vram_mb_per_gpu,
        loadS: model.load_s,
        unloadS,
      };
    }
    for (const [name, kind] of this.#kinds) models[name] ??= { ...UNKNOWN[kind] };
    for (const [name, load] of this.#measured) {
      const model = models[name];
      if (model !== undefined && load.n > 0) models[name] = { ...model, loadS: load.totalS / load.n };
    }
    if (brain !== null) {
      models[brain.model] = { ...(models[brain.model] ?? UNKNOWN.llm), kind: 'llm', gpus: brain.gpus.length };
    }
    return {
      cards: cards.map((card) => ({ gpu: card.gpu, vramMb: card.vramMb })),
      models,
      unloadS,
      headroomMb: this.profile?.vram_headroom_mb ?? DEFAULT_HEADROOM_MB,
      cpuSlots: 0,
      brain,
      oneModelPerCard: true,
      lendsLlm: false,
    };
  }
}
