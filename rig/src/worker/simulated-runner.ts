import { writeFileSync } from 'node:fs';
import { systemRuntime, type AttemptResult, type RigEvent, type Runtime } from '@rigmind/protocol';
import type { RigTimings } from '../sim/rig-timings.js';
import type { RunRequest, TaskRunner } from './task-runner.js';

/** How a simulated card spends its time. */
export interface SimulatedTimings {
  /** Seconds of waiting per simulated second. */
  readonly timeScale: number;
  /** Ceiling on one task's wait (s), so a demo of long tasks stays short; Infinity with a rig profile. */
  readonly maxWaitS: number;
  /** A rig profile's load, unload and run times (`rigmind up --simulate PROFILE`); without one, only estimates. */
  readonly timings?: RigTimings | undefined;
  /** The model of llm tasks that name none. */
  readonly defaultModel: string;
}

/**
 * Stands in for GPU work on a machine without GPUs (or without Ollama): it runs nothing, waits the task's time
 * (scaled), and says plainly in the output and the result that the work was simulated. With a rig profile it also
 * holds a model per card and pays the profile's unload and load times when a task needs another model, reporting
 * model_unloaded / model_loaded events marked simulated.
 */
export class SimulatedRunner implements TaskRunner {
  /** What each card holds: a model instance and all the cards it spans (the brain's 14B holds two). */
  readonly #held = new Map<number, { readonly model: string; readonly gpus: readonly number[] }>();
  #report: (event: RigEvent) => void = () => undefined;

  constructor(
    private readonly gpus: readonly number[],
    private readonly time: SimulatedTimings,
    private readonly runtime: Pick<Runtime, 'now' | 'sleep'> = systemRuntime,
  ) {}

  /** Where card events go (the worker's report). */
  reportTo(report: (event: RigEvent) => void): void {
    this.#report = report;
  }

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const gpus = request.gpus ?? this.gpus;
    const gpu = gpus[0] ?? null;
    const model = task.type === 'llm' ? (task.model ?? this.time.defaultModel) : (task.model ?? null);
    const what =
      task.task_class === 'resource'
        ? `${task.command ?? ''} ${model ?? ''}`
        : task.type === 'llm'
          ? `prompt ${JSON.stringify((task.prompt ?? '').slice(0, 120))} to ${model ?? ''}`
          : `command: ${task.command ?? ''}`;
    writeFileSync(
      request.stdoutPath,
      `[simulated] ${task.task_class} task on simulated GPU ${gpus.join(',') || '-'}: ` +
        `nothing was run; would have run ${what}\n`,
    );
    writeFileSync(request.stderrPath, '');
    request.onStarted(null);
    const wait = async (seconds: number): Promise<void> => {
      await this.runtime.sleep(Math.min(this.time.maxWaitS, seconds * this.time.timeScale) * 1000, request.signal);
      // The runtime's sleep ends quietly on abort; a cancel must still skip the rest of the task.
      if (request.signal.aborted) throw new Error('canceled');
    };
    try {
      if (task.task_class === 'resource') {
        // The brain's load_llm / unload_llm: only the switch, no work after it.
        if (task.command === 'unload_llm') await this.#unload(gpus, wait);
        else await this.#switchTo(gpus, model, wait);
        return this.#result(request, started, false);
      }
      await this.#switchTo(gpus, model, wait);
      const timings = this.time.timings;
      await wait(timings !== undefined ? timings.runS(gpu, model, task) : (task.estimate_s ?? 1));
    } catch {
      return this.#result(request, started, true);
    }
    return this.#result(request, started, false);
  }

  /** With a profile: have `model` on `gpus`, paying the profile's unload and load times. */
  async #switchTo(
    gpus: readonly number[],
    model: string | null,
    wait: (seconds: number) => Promise<void>,
  ): Promise<void> {
    const timings = this.time.timings;
    const gpu = gpus[0];
    if (timings === undefined || gpu === undefined || model === null) return;
    if (
      gpus.every((card) => this.#held.get(card)?.model === model && this.#held.get(card)?.gpus.length === gpus.length)
    )
      return;
    await this.#unload(gpus, wait);
    const loadS = timings.loadS(gpu, model);
    await wait(loadS);
    for (const card of gpus) this.#held.set(card, { model, gpus: [...gpus] });
    this.#card('model_loaded', gpus, model, loadS);
  }

  /** Free `gpus`: every model instance on them goes, from all the cards it spans. */
  async #unload(gpus: readonly number[], wait: (seconds: number) => Promise<void>): Promise<void> {
    const timings = this.time.timings;
    if (timings === undefined) return;
    for (const card of gpus) {
      const held = this.#held.get(card);
      if (held === undefined) continue;
      const unloadS = timings.unloadS(card, held.model);
      await wait(unloadS);
      for (const other of held.gpus) this.#held.delete(other);
      this.#card('model_unloaded', held.gpus, held.model, unloadS);
    }
  }

  #card(type: 'model_loaded' | 'model_unloaded', gpus: readonly number[], model: string, seconds: number): void {
    this.#report({
      timestamp: new Date(this.runtime.now()).toISOString(),
      event_type: type,
      ...(gpus[0] !== undefined ? { gpu_id: gpus[0] } : {}),
      duration_ms: seconds * 1000,
      detail: { model, simulated: true, gpus: [...gpus] },
    });
  }

  #result(request: RunRequest, started: number, canceled: boolean): AttemptResult {
    const { task } = request;
    return {
      outcome: canceled ? 'canceled' : 'completed',
      return_code: canceled ? null : 0,
      signal: null,
      elapsed_seconds: (performance.now() - started) / 1000,
      output_lines: 1,
      error_snippet: '',
      stdout_path: request.stdoutPath,
      stderr_path: request.stderrPath,
      simulated: true,
      ...(task.type === 'llm' ? { output: `[simulated] no model ran for ${task.name}` } : {}),
    };
  }
}
