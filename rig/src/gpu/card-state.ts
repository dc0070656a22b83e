import type { RigEvent } from '@rigmind/protocol';
import { z } from 'zod';
import type { Runtime } from '@rigmind/protocol';

/** A card's state: the seed's six, plus unloading (waiting for VRAM to clear) and error. */
export const CardStateSchema = z.enum([
  'idle',
  'booting_llm',
  'llm_ready',
  'llm_busy',
  'booting_script',
  'script_busy',
  'unloading',
  'error',
]);
/** A card state. */
export type CardState = z.infer<typeof CardStateSchema>;

/** What a card holds while booting or running: an Ollama model or a script's model (Whisper, embeddings, OCR). */
export type ModelKind = 'llm' | 'script';

/**
 * Every allowed transition. A model always leaves through `unloading`, because the seed's switch is
 * "keep_alive 0, then wait for VRAM to clear"; a script's process exiting is the same wait.
 * `error` is reachable from every busy state; out of it a card either tries an unload or, once VRAM
 * is verified free, is reset to idle.
 */
export const CARD_TRANSITIONS: Readonly<Record<CardState, readonly CardState[]>> = {
  idle: ['booting_llm', 'booting_script'],
  booting_llm: ['llm_ready', 'unloading', 'error'],
  llm_ready: ['llm_busy', 'unloading', 'error'],
  llm_busy: ['llm_ready', 'error'],
  booting_script: ['script_busy', 'unloading', 'error'],
  script_busy: ['unloading', 'error'],
  unloading: ['idle', 'error'],
  error: ['unloading', 'idle'],
};

/** Whether the table allows `from` -> `to`. */
export function canTransition(from: CardState, to: CardState): boolean {
  return CARD_TRANSITIONS[from].includes(to);
}

/** A transition the table forbids. The caller decided on a stale state: a bug, so it throws. */
export class ForbiddenTransitionError extends Error {
  readonly code = 'forbidden_transition' as const;
  override readonly name = 'ForbiddenTransitionError';
  readonly from: CardState;
  readonly to: CardState;
  readonly gpuId: number;

  constructor(gpuId: number, from: CardState, to: CardState) {
    super(`gpu ${gpuId}: ${from} -> ${to} is not allowed (from ${from}: ${CARD_TRANSITIONS[from].join(', ')})`);
    this.gpuId = gpuId;
    this.from = from;
    this.to = to;
  }
}

/** A requested transition. Booting needs the model's name; everything else keeps the current one. */
export type TransitionRequest =
  | {
      readonly to: 'booting_llm' | 'booting_script';
      readonly model: string;
      readonly taskId?: string;
      readonly reason?: string;
    }
  | {
      readonly to: Exclude<CardState, 'booting_llm' | 'booting_script'>;
      readonly taskId?: string;
      readonly reason?: string;
    };

/** Who the events name. */
export interface CardStateOptions {
  readonly gpuId: number;
  readonly workerId?: string;
  /** Only the clock: durations are now() differences. The simulator passes its simulated time here. */
  readonly runtime: Pick<Runtime, 'now'>;
  readonly initial?: CardState;
}

/**
 * One card's state machine. Each transition returns the events it means, in the protocol's EventSchema
 * shape, with durations from the injected clock: always a gpu_state; gpu_allocated when a boot starts;
 * model_loaded when a boot ends (duration = load time); model_unloaded when VRAM is clear (duration = unload time).
 */
export class CardStateMachine {
  readonly gpuId: number;
  readonly #workerId: string | undefined;
  readonly #clock: Pick<Runtime, 'now'>;
  #state: CardState;
  #since: number;
  #model: { name: string; kind: ModelKind } | null = null;
  #bootedAt: number | null = null;

  constructor(options: CardStateOptions) {
    this.gpuId = options.gpuId;
    this.#workerId = options.workerId;
    this.#clock = options.runtime;
    this.#state = options.initial ?? 'idle';
    this.#since = this.#clock.now();
  }

  /** The current state. */
  get state(): CardState {
    return this.#state;
  }

  /** The model the card holds or is booting, or null when idle. */
  get model(): { readonly name: string; readonly kind: ModelKind } | null {
    return this.#model;
  }

  /** Milliseconds in the current state. */
  elapsedMs(): number {
    return Math.max(0, this.#clock.now() - this.#since);
  }

  /** Whether the table allows moving to `to` now. */
  can(to: CardState): boolean {
    return canTransition(this.#state, to);
  }

  /** Move to `request.to`, returning its events; throws {@link ForbiddenTransitionError} if the table forbids it. */
  transition(request: TransitionRequest): RigEvent[] {
    const from = this.#state;
    const { to } = request;
    if (!canTransition(from, to)) throw new ForbiddenTransitionError(this.gpuId, from, to);
    const now = this.#clock.now();
    const inPrevious = Math.max(0, now - this.#since);
    if (request.to === 'booting_llm' || request.to === 'booting_script') {
      this.#model = { name: request.model, kind: request.to === 'booting_llm' ? 'llm' : 'script' };
      this.#bootedAt = now;
    }
    const model = this.#model;
    const events: RigEvent[] = [];
    const base = (eventType: RigEvent['event_type']): RigEvent => ({
      timestamp: new Date(now).toISOString(),
      event_type: eventType,
      gpu_id: this.gpuId,
      ...(this.#workerId === undefined ? {} : { worker_id: this.#workerId }),
      ...(request.taskId === undefined ? {} : { task_id: request.taskId }),
    });
    const modelDetail = model ? { model: model.name, kind: model.kind } : {};

    events.push({
      ...base('gpu_state'),
      duration_ms: inPrevious,
      ...(to === 'error' ? { error: request.reason ?? 'unspecified' } : {}),
      detail: { from, to, ...modelDetail, ...(request.reason === undefined ? {} : { reason: request.reason }) },
    });
    if (to === 'booting_llm' || to === 'booting_script') {
      events.push({ ...base('gpu_allocated'), detail: modelDetail });
    }
    if ((from === 'booting_llm' && to === 'llm_ready') || (from === 'booting_script' && to === 'script_busy')) {
      events.push({ ...base('model_loaded'), duration_ms: now - (this.#bootedAt ?? now), detail: modelDetail });
    }
    if (from === 'unloading' && to === 'idle' && model) {
      events.push({ ...base('model_unloaded'), duration_ms: inPrevious, detail: modelDetail });
    }

    this.#state = to;
    this.#since = now;
    if (to === 'idle') {
      this.#model = null;
      this.#bootedAt = null;
    }
    return events;
  }
}
