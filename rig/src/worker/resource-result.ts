import { writeFileSync } from 'node:fs';
import type { AttemptResult } from '@rigmind/protocol';
import { tail, type RunRequest } from './task-runner.js';

/**
 * The result of a resource task (load_llm / unload_llm): what was done to the card, in the attempt's stdout like any
 * task's output, or the card's error as the attempt's error.
 */
export function resourceResult(request: RunRequest, startedMs: number, outcome: { ok: true; note: string } | { ok: false; code: string; message: string }, simulated = false): AttemptResult {
  const elapsed = (performance.now() - startedMs) / 1000;
  const line = outcome.ok ? `${outcome.note} in ${elapsed.toFixed(1)} s\n` : '';
  writeFileSync(request.stdoutPath, line);
  writeFileSync(request.stderrPath, outcome.ok ? '' : `${outcome.code}: ${outcome.message}\n`);
  return {
    outcome: outcome.ok ? 'completed' : 'error',
    return_code: outcome.ok ? 0 : null,
    signal: null,
    elapsed_seconds: elapsed,
    output_lines: outcome.ok ? 1 : 0,
    error_snippet: outcome.ok ? '' : tail(`gpu ${outcome.code}: ${outcome.message}`),
    stdout_path: request.stdoutPath,
    stderr_path: request.stderrPath,
    ...(simulated ? { simulated: true } : {}),
  };
}

/** A resource task this worker cannot carry out (an action it does not know, or no card to do it on). */
export function resourceRefused(request: RunRequest, why: string): AttemptResult {
  request.onStarted(null);
  return resourceResult(request, performance.now(), { ok: false, code: 'resource_refused', message: why });
}
