import type { AttemptResult, Task } from '@rigmind/protocol';

/** What a runner gets for one attempt. */
export interface RunRequest {
  readonly task: Task;
  readonly attempt: number;
  /** Where stdout and stderr of this attempt go. */
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Aborted when the brain cancels the attempt or the worker stops. */
  readonly signal: AbortSignal;
  /** Called once the attempt has a process (shell) or a request (llm) under way. */
  readonly onStarted: (pid: number | null) => void;
  /** The cards this attempt runs on, when the brain named some of the worker's cards (lending); else all. */
  readonly gpus?: readonly number[];
}

/** Runs one attempt of one kind of task. A failed task is a result, never an exception. */
export interface TaskRunner {
  run(request: RunRequest): Promise<AttemptResult>;
  /** A refusal decided before any work (e.g. a prompt too long for the model), so no model is loaded for it. */
  precheck?(request: RunRequest): Promise<AttemptResult | undefined>;
}

/** The last `n` characters of a text: the seed's error_snippet. */
export function tail(text: string, n = 200): string {
  return text.length <= n ? text : text.slice(text.length - n);
}

/**
 * An attempt that ends before anything ran, with `message` as its error (a card that could not be readied, a
 * dispatch the worker cannot honour).
 */
export function endedBeforeStart(request: RunRequest, message: string): AttemptResult {
  request.onStarted(null);
  return {
    outcome: 'error',
    return_code: null,
    signal: null,
    elapsed_seconds: 0,
    output_lines: 0,
    error_snippet: tail(message),
  };
}
