import { err, ok, type Result, type RigEvent, type Runtime } from '@rigmind/protocol';
import type { KeepAlive, LoadOutput } from '../ollama/ollama-client.js';
import type { OllamaErrorCode, OllamaResult } from '../ollama/ollama-result.js';
import type { UnloadOptions, UnloadReport } from '../ollama/unload.js';
import { CardStateMachine, type CardState, type TransitionRequest } from './card-state.js';

/** What the manager needs from Ollama: the card's own instance (the seed runs one per card, each on its port). */
export interface CardOllama {
  load(model: string, keepAlive: KeepAlive): Promise<OllamaResult<LoadOutput>>;
  unload(model: string, options: UnloadOptions): Promise<OllamaResult<UnloadReport>>;
}

/** Why a card operation failed: Ollama's own codes, or VRAM that never came back. */
export type CardErrorCode = OllamaErrorCode | 'vram_timeout';

/** A card operation's outcome; a failure has put the card in `error`. */
export type CardResult = Result<undefined, CardErrorCode>;

/** Options for {@link CardManager}. */
export interface CardManagerOptions {
  readonly gpuId: number;
  readonly workerId?: string;
  readonly ollama: CardOllama;
  readonly runtime: Pick<Runtime, 'now' | 'sleep'>;
  readonly emit: (event: RigEvent) => void;
  /** The card's VRAM is back (see vramFreedCheck); asked after every unload, Ollama's or a script's. */
  readonly vramFreed: () => Promise<boolean>;
  /** keep_alive for loads. Default -1: the manager unloads on purpose, a timer must not do it behind its back. */
  readonly keepAlive?: KeepAlive;
  /** The seed measured 5-10 s to clear VRAM; the default leaves room for a slow riser bus. */
  readonly unloadTimeoutMs?: number;
  readonly pollMs?: number;
}

/**
 * Owns one card: its state machine, its LLM in Ollama, and the seed's switch between LLM and script work
 * (unload, wait for VRAM, load the script model; and back). Operations run one at a time in call order,
 * so a switch never interleaves with a task. Events go to `emit` as the transitions happen.
 */
export class CardManager {
  readonly #options: CardManagerOptions;
  readonly #machine: CardStateMachine;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: CardManagerOptions) {
    this.#options = options;
    this.#machine = new CardStateMachine({
      gpuId: options.gpuId,
      runtime: options.runtime,
      ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
    });
  }

  /** The card's state now. */
  get state(): CardState {
    return this.#machine.state;
  }

  /** The model on the card, if any. */
  get model(): { readonly name: string; readonly kind: 'llm' | 'script' } | null {
    return this.#machine.model;
  }

  /** Have `model` loaded and ready: a no-op if it already is, an unload first if another model holds the card. */
  loadLlm(model: string): Promise<CardResult> {
    return this.#exclusive(async () => {
      const held = this.#machine.model;
      if (this.state === 'llm_ready' && held?.name === model) return ok();
      const freed = await this.#free('switching models');
      if (!freed.ok) return freed;
      this.#go({ to: 'booting_llm', model });
      const loaded = await this.#options.ollama.load(model, this.#options.keepAlive ?? -1);
      if (!loaded.ok) return this.#fail(loaded.code, loaded.message);
      this.#go({ to: 'llm_ready' });
      return ok();
    });
  }

  /** Run one LLM task on the loaded model: llm_busy while `work` runs, llm_ready after, whatever it returns. */
  runLlmTask<T>(taskId: string, work: () => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.#go({ to: 'llm_busy', taskId });
      try {
        return await work();
      } finally {
        this.#go({ to: 'llm_ready', taskId });
      }
    });
  }

  /** Unload whatever the card holds and wait for its VRAM: the card ends idle, or in error with the reason. */
  freeCard(reason: string): Promise<CardResult> {
    return this.#exclusive(() => this.#free(reason));
  }

  /** Free the card for a script task and mark its model booting; the worker then starts the script process. */
  startScript(model: string, taskId: string): Promise<CardResult> {
    return this.#exclusive(async () => {
      const freed = await this.#free(`script ${model} for ${taskId}`);
      if (!freed.ok) return freed;
      this.#go({ to: 'booting_script', model, taskId });
      return ok();
    });
  }

  /** The script process has its model on the card and is working. */
  scriptLoaded(taskId: string): Promise<CardResult> {
    return this.#exclusive(async () => {
      this.#go({ to: 'script_busy', taskId });
      return ok();
    });
  }

  /** The script process has exited: wait until its VRAM is back, then the card is idle. */
  scriptEnded(taskId: string): Promise<CardResult> {
    return this.#exclusive(async () => {
      this.#go({ to: 'unloading', taskId, reason: 'script ended' });
      return this.#waitVram();
    });
  }

  async #free(reason: string): Promise<CardResult> {
    const state = this.state;
    if (state === 'idle') return ok();
    const held = this.#machine.model;
    this.#go({ to: 'unloading', reason });
    if (held?.kind === 'llm' && state !== 'booting_script' && state !== 'script_busy') {
      const unloaded = await this.#options.ollama.unload(held.name, {
        timeoutMs: this.#options.unloadTimeoutMs ?? 60_000,
        pollMs: this.#options.pollMs ?? 500,
        vramFreed: this.#options.vramFreed,
      });
      if (unloaded.ok) {
        this.#go({ to: 'idle' });
        return ok();
      }
      // Ollama not knowing the model (a failed load) means it holds none of it: only the VRAM check is left.
      if (unloaded.code !== 'model_not_found') return this.#fail(unloaded.code, unloaded.message);
    }
    return this.#waitVram();
  }

  async #waitVram(): Promise<CardResult> {
    const timeoutMs = this.#options.unloadTimeoutMs ?? 60_000;
    const started = this.#options.runtime.now();
    for (;;) {
      if (await this.#options.vramFreed()) {
        this.#go({ to: 'idle' });
        return ok();
      }
      const waited = this.#options.runtime.now() - started;
      if (waited >= timeoutMs)
        return this.#fail('vram_timeout', `gpu ${this.#options.gpuId}: VRAM not freed after ${waited} ms`);
      await this.#options.runtime.sleep(Math.min(this.#options.pollMs ?? 500, timeoutMs - waited));
    }
  }

  #fail(code: CardErrorCode, message: string): CardResult {
    this.#go({ to: 'error', reason: code });
    return err(code, message);
  }

  #go(request: TransitionRequest): void {
    for (const event of this.#machine.transition(request)) this.#options.emit(event);
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    // The queue only orders; each caller gets its own result or rejection from `run`.
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
