import { createWriteStream, writeFileSync } from 'node:fs';
import type { AttemptResult } from '@rigmind/protocol';
import { BRAIN_SYSTEM_PROMPT } from '../escalation/low-confidence.js';
import type { OllamaClient } from '../ollama/ollama-client.js';
import { estimateContext } from '../ollama/context.js';
import { tail, type RunRequest, type TaskRunner } from './task-runner.js';

/** Tokens kept free for the answer when checking that a prompt fits. */
const OUTPUT_RESERVE = 512;

/** Largest LLM output kept in the task record; the full text is always in the stdout file. */
const MAX_OUTPUT_CHARS = 200_000;

/**
 * Runs llm tasks on the worker's own Ollama server: streams the reply into the attempt's stdout file and records
 * Ollama's token counters (tokens per second, the seed's missing metric). Ollama refusing is a failed attempt.
 */
export class LlmRunner implements TaskRunner {
  constructor(
    private readonly client: OllamaClient,
    private readonly defaultModel: string,
    /** keep_alive of each request; -1 when a card manager owns loading, so Ollama never unloads behind its back. */
    private readonly keepAlive?: string | number,
  ) {}

  readonly #windows = new Map<string, number | null>();

  /** The model's context window from /api/show, asked once per model; unknown (null) skips the check. */
  async #contextLength(model: string): Promise<number | null> {
    if (!this.#windows.has(model)) {
      const shown = await this.client.show(model);
      // A failed show is not cached: Ollama may be starting; the generate call will report a real problem.
      if (!shown.ok) return null;
      this.#windows.set(model, shown.value.contextLength);
    }
    return this.#windows.get(model) ?? null;
  }

  /** Refuse a prompt that cannot fit the model's context window; it is never sent to be silently truncated. */
  async precheck(request: RunRequest): Promise<AttemptResult | undefined> {
    const { task } = request;
    const model = task.model ?? this.defaultModel;
    const system = task.executor === 'brain' ? BRAIN_SYSTEM_PROMPT : undefined;
    const window = await this.#contextLength(model);
    if (window === null) return undefined;
    const estimate = estimateContext(
      { prompt: task.prompt ?? '', ...(system !== undefined ? { system } : {}), reserveForOutput: OUTPUT_RESERVE },
      window,
    );
    if (estimate.fits) return undefined;
    const snippet =
      `context_too_long: about ${estimate.estimatedPromptTokens} prompt tokens + ${OUTPUT_RESERVE} ` +
      `for the answer do not fit ${model}'s ${window}`;
    writeFileSync(request.stderrPath, `${snippet}\n`);
    return {
      outcome: 'failed',
      return_code: null,
      signal: null,
      elapsed_seconds: 0,
      output_lines: 0,
      error_snippet: tail(snippet),
      stderr_path: request.stderrPath,
      context_exceeded: { model, estimated_tokens: estimate.estimatedPromptTokens, context_length: window },
    };
  }

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const out = createWriteStream(request.stdoutPath);
    // A full disk (ENOSPC) cuts the saved answer; it must not kill the worker (an unheard `error` would).
    out.on('error', () => out.destroy());
    writeFileSync(request.stderrPath, '');
    request.onStarted(null);
    const model = task.model ?? this.defaultModel;
    const system = task.executor === 'brain' ? BRAIN_SYSTEM_PROMPT : undefined;
    const refused = await this.precheck(request);
    if (refused !== undefined) {
      await new Promise<void>((resolve) => out.end(resolve));
      return refused;
    }
    const result = await this.client.generate({
      model,
      prompt: task.prompt ?? '',
      // The brain's own model is told how to say it is unsure; the brain escalates such answers.
      ...(system !== undefined ? { system } : {}),
      timeoutMs: task.timeout_s * 1000,
      ...(this.keepAlive !== undefined ? { keepAlive: this.keepAlive } : {}),
      signal: request.signal,
      onToken: (text) => out.write(text),
    });
    await new Promise<void>((resolve) => out.end(resolve));
    const elapsed = (performance.now() - started) / 1000;
    if (!result.ok) {
      const snippet = `${result.code}: ${result.message}`;
      writeFileSync(request.stderrPath, `${snippet}\n`);
      return {
        outcome: result.code === 'aborted' ? 'canceled' : result.code === 'timeout' ? 'timeout' : 'failed',
        return_code: null,
        signal: null,
        elapsed_seconds: elapsed,
        output_lines: 0,
        error_snippet: tail(snippet),
        stdout_path: request.stdoutPath,
        stderr_path: request.stderrPath,
      };
    }
    const text = result.value.text;
    const metrics = result.value.metrics;
    return {
      outcome: 'completed',
      return_code: 0,
      signal: null,
      elapsed_seconds: elapsed,
      output_lines: text === '' ? 0 : text.split('\n').length,
      error_snippet: '',
      stdout_path: request.stdoutPath,
      stderr_path: request.stderrPath,
      output: text.slice(0, MAX_OUTPUT_CHARS),
      ...(metrics.eval_count !== null ? { tokens_generated: metrics.eval_count } : {}),
      ...(metrics.tokens_per_second !== null ? { tokens_per_second: metrics.tokens_per_second } : {}),
    };
  }
}

/** The llm runner for a worker's Ollama server. */
export function createLlmRunner(client: OllamaClient, defaultModel: string, keepAlive?: string | number): LlmRunner {
  return new LlmRunner(client, defaultModel, keepAlive);
}
