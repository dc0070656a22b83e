import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult } from '@rigmind/protocol';
import type { RunRequest, TaskRunner } from './task-runner.js';

/**
 * Stands in for GPU work on a machine without GPUs (or without Ollama): it runs nothing, waits the task's
 * estimate (scaled), and says plainly in the output and the result that the work was simulated.
 */
export class SimulatedRunner implements TaskRunner {
  constructor(
    private readonly gpus: readonly number[],
    /** Seconds of waiting per estimated second. */
    private readonly timeScale: number,
    /** Ceiling on one simulated task's wait (s), so a demo of long tasks stays short. */
    private readonly maxWaitS: number,
  ) {}

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const waitS = Math.min(this.maxWaitS, (task.estimate_s ?? 1) * this.timeScale);
    const what = task.type === 'llm' ? `prompt ${JSON.stringify((task.prompt ?? '').slice(0, 120))} to ${task.model ?? 'the default model'}` : `command: ${task.command ?? ''}`;
    const line = `[simulated] ${task.task_class} task on simulated GPU ${this.gpus.join(',') || '-'}: nothing was run; would have run ${what}\n`;
    writeFileSync(request.stdoutPath, line);
    writeFileSync(request.stderrPath, '');
    request.onStarted(null);
    let canceled = false;
    try {
      await sleep(waitS * 1000, undefined, { signal: request.signal });
    } catch {
      canceled = true;
    }
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
