import { createWriteStream, writeFileSync } from 'node:fs';
import type { AttemptResult } from '@rigmind/protocol';
import { BRAIN_SYSTEM_PROMPT } from '../escalation/low-confidence.js';
import { OllamaClient } from '../ollama/ollama-client.js';
import { tail, type RunRequest, type TaskRunner } from './task-runner.js';

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

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const out = createWriteStream(request.stdoutPath);
    writeFileSync(request.stderrPath, '');
    request.onStarted(null);
    const model = task.model ?? this.defaultModel;
    const result = await this.client.generate({
      model,
      prompt: task.prompt ?? '',
      // The brain's own model is told how to say it is unsure; the brain escalates such answers.
      ...(task.executor === 'brain' ? { system: BRAIN_SYSTEM_PROMPT } : {}),
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
