import { writeFileSync } from 'node:fs';
import { err, type AttemptResult, type Result } from '@rigmind/protocol';
import type { CardErrorCode } from '../gpu/card-manager.js';
import { tail, type RunRequest } from './task-runner.js';

/** Why a resource task failed: the card's error, or a task this worker cannot carry out. */
export type ResourceErrorCode = CardErrorCode | 'resource_refused';

/** The result of a resource task; its value is the note for stdout (what was done to the card). */
export type ResourceOutcome = Result<string, ResourceErrorCode>;

/**
 * The result of a resource task (load_llm / unload_llm): what was done to the card, in the attempt's stdout like any
 * task's output, or the card's error as the attempt's error.
 */
export function resourceResult(
  request: RunRequest,
  startedMs: number,
  outcome: ResourceOutcome,
  simulated = false,
): AttemptResult {
  const elapsed = (performance.now() - startedMs) / 1000;
  const line = outcome.ok ? `${outcome.value} in ${elapsed.toFixed(1)} s\n` : '';
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
  return resourceResult(request, performance.now(), err('resource_refused', why));
}
