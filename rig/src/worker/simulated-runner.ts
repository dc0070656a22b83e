import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult, RigEvent } from '@rigmind/protocol';
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
  #loaded: string | null = null;
  #report: (event: RigEvent) => void = () => undefined;

  constructor(
    private readonly gpus: readonly number[],
    private readonly time: SimulatedTimings,
  ) {}

  /** Where card events go (the worker's report). */
  reportTo(report: (event: RigEvent) => void): void {
    this.#report = report;
  }

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const gpu = this.gpus[0] ?? null;
    const model = task.type === 'llm' ? (task.model ?? this.time.defaultModel) : (task.model ?? null);
    const what = task.task_class === 'resource' ? `${task.command ?? ''} ${model ?? ''}` : task.type === 'llm' ? `prompt ${JSON.stringify((task.prompt ?? '').slice(0, 120))} to ${model ?? ''}` : `command: ${task.command ?? ''}`;
    writeFileSync(request.stdoutPath, `[simulated] ${task.task_class} task on simulated GPU ${this.gpus.join(',') || '-'}: nothing was run; would have run ${what}\n`);
    writeFileSync(request.stderrPath, '');
    request.onStarted(null);
    const wait = (seconds: number) => sleep(Math.min(this.time.maxWaitS, seconds * this.time.timeScale) * 1000, undefined, { signal: request.signal });
    try {
      if (task.task_class === 'resource') {
        // The brain's load_llm / unload_llm: only the switch, no work after it.
        if (task.command === 'unload_llm') await this.#unload(gpu, wait);
        else await this.#switchTo(gpu, model, wait);
        return this.#result(request, started, false);
      }
      await this.#switchTo(gpu, model, wait);
      const timings = this.time.timings;
      await wait(timings !== undefined ? timings.runS(gpu, model, task) : (task.estimate_s ?? 1));
    } catch {
      return this.#result(request, started, true);
    }
    return this.#result(request, started, false);
  }

  /** With a profile: have `model` on the card, paying the profile's unload and load times. */
  async #switchTo(gpu: number | null, model: string | null, wait: (seconds: number) => Promise<void>): Promise<void> {
    const timings = this.time.timings;
    if (timings === undefined || gpu === null || model === null || model === this.#loaded) return;
    await this.#unload(gpu, wait);
    const loadS = timings.loadS(gpu, model);
    await wait(loadS);
    this.#loaded = model;
    this.#card('model_loaded', gpu, model, loadS);
  }

  async #unload(gpu: number | null, wait: (seconds: number) => Promise<void>): Promise<void> {
    const timings = this.time.timings;
    if (timings === undefined || gpu === null || this.#loaded === null) return;
    const unloadS = timings.unloadS(gpu, this.#loaded);
    await wait(unloadS);
    this.#card('model_unloaded', gpu, this.#loaded, unloadS);
    this.#loaded = null;
  }

  #card(type: 'model_loaded' | 'model_unloaded', gpu: number, model: string, seconds: number): void {
    this.#report({ timestamp: new Date().toISOString(), event_type: type, gpu_id: gpu, duration_ms: seconds * 1000, detail: { model, simulated: true, gpus: [...this.gpus] } });
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
