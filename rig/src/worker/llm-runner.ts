import { createWriteStream, writeFileSync } from 'node:fs';
import { CONFIDENCE_FORMAT, parseConfidentAnswer, type AttemptResult, type StructuredPrompt } from '@rigmind/protocol';
import type { OllamaClient } from '../ollama/ollama-client.js';
import { estimateContext } from '../ollama/context.js';
import { freshMarker, taskPrompt } from '../ollama/task-prompt.js';
import { ioFailure, readImages, readTextInputs, writeOutput, type IoResult } from './task-io.js';
import { tail, type RunRequest, type TaskRunner } from './task-runner.js';

/** Tokens kept free for the answer when checking that a prompt fits. */
const OUTPUT_RESERVE = 512;

/** Largest LLM output kept in the task record; the full text is always in the stdout file. */
const MAX_OUTPUT_CHARS = 200_000;

/** What an llm task may read, and how sure its structured answer must be to be written to its output. */
export interface LlmLimits {
  readonly maxInputBytes: number;
  readonly maxImageBytes: number;
  readonly confidenceThreshold: number;
}

/** The rig's defaults (protocol's RigConfig `llm`), for callers without a config. */
export const DEFAULT_LLM_LIMITS: LlmLimits = {
  maxInputBytes: 1024 * 1024,
  maxImageBytes: 20 * 1024 * 1024,
  confidenceThreshold: 0.6,
};

/** A task's prompt, built once per attempt, with the images that go with it. */
interface Prepared {
  readonly prompt: StructuredPrompt;
  readonly images: readonly string[];
}

/**
 * Runs llm tasks on the worker's own Ollama server: reads the task's inputs and images, builds its structured prompt
 * (trusted instructions, the task, the inputs as untrusted data under a fresh marker), streams the reply into the
 * attempt's stdout file, writes the answer to the task's output file, and records Ollama's token counters (tokens
 * per second, the seed's missing metric). Ollama refusing is a failed attempt; a missing, unreadable or oversized
 * input is a failure of the task's own, with its code, before any model is loaded.
 */
export class LlmRunner implements TaskRunner {
  constructor(
    private readonly client: OllamaClient,
    private readonly defaultModel: string,
    /** keep_alive of each request; -1 when a card manager owns loading, so Ollama never unloads behind its back. */
    private readonly keepAlive?: string | number,
    private readonly limits: LlmLimits = DEFAULT_LLM_LIMITS,
  ) {}

  /** Each attempt's prompt, built on its precheck and sent by its run: one marker per call. */
  readonly #prepared = new WeakMap<RunRequest, Promise<IoResult<Prepared>>>();

  #prepare(request: RunRequest): Promise<IoResult<Prepared>> {
    let prepared = this.#prepared.get(request);
    if (prepared === undefined) {
      prepared = (async (): Promise<IoResult<Prepared>> => {
        const inputs = await readTextInputs(request.task, this.limits.maxInputBytes);
        if (!inputs.ok) return inputs;
        const images = await readImages(request.task, this.limits.maxImageBytes);
        if (!images.ok) return images;
        return {
          ok: true,
          value: { prompt: taskPrompt(request.task, inputs.value, freshMarker()), images: images.value },
        };
      })();
      this.#prepared.set(request, prepared);
    }
    return prepared;
  }

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

  /**
   * Refuse a task whose inputs cannot be read, or whose prompt cannot fit the model's context window: it is never
   * sent to be silently truncated, and no model is loaded for it.
   */
  async precheck(request: RunRequest): Promise<AttemptResult | undefined> {
    const { task } = request;
    const prepared = await this.#prepare(request);
    if (!prepared.ok) return ioFailure(prepared, request.stderrPath);
    const model = task.model ?? this.defaultModel;
    const window = await this.#contextLength(model);
    if (window === null) return undefined;
    const { system, user } = prepared.value.prompt;
    const estimate = estimateContext({ prompt: user, system, reserveForOutput: OUTPUT_RESERVE }, window);
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
    const refused = await this.precheck(request);
    const prepared = await this.#prepare(request);
    if (refused !== undefined || !prepared.ok) {
      await new Promise<void>((resolve) => out.end(resolve));
      return refused ?? (await ioFailure({ code: 'input_unreadable', message: 'inputs not read' }, request.stderrPath));
    }
    const { prompt, images } = prepared.value;
    const result = await this.client.generate({
      model,
      system: prompt.system,
      prompt: prompt.user,
      ...(images.length > 0 ? { images } : {}),
      ...(task.confidence === true ? { format: CONFIDENCE_FORMAT } : {}),
      timeoutMs: task.timeout_s * 1000,
      ...(this.keepAlive !== undefined ? { keepAlive: this.keepAlive } : {}),
      signal: request.signal,
      onToken: (text) => out.write(text),
    });
    await new Promise<void>((resolve) => out.end(resolve));
    const elapsed = (performance.now() - started) / 1000;
    const ran = { elapsed_seconds: elapsed, stdout_path: request.stdoutPath, stderr_path: request.stderrPath };
    if (!result.ok) return this.#failed(request, `${result.code}: ${result.message}`, ran, result.code);
    let text = result.value.text;
    let confidence: number | undefined;
    if (task.confidence === true) {
      const answer = parseConfidentAnswer(text);
      // The format constrains the model; a reply outside it is the model's failure, retried like one.
      if (answer === undefined)
        return this.#failed(request, 'bad_answer: the reply is not the {answer, confidence} object asked for', ran);
      text = answer.answer;
      confidence = answer.confidence;
    }
    // An answer the brain will escalate is not handed on: its dependents read the external tier's instead.
    if (confidence === undefined || confidence >= this.limits.confidenceThreshold) {
      const written = await writeOutput(task, text);
      if (!written.ok) return ioFailure(written, request.stderrPath, ran);
    }
    const metrics = result.value.metrics;
    return {
      outcome: 'completed',
      return_code: 0,
      signal: null,
      output_lines: text === '' ? 0 : text.split('\n').length,
      error_snippet: '',
      ...ran,
      output: text.slice(0, MAX_OUTPUT_CHARS),
      ...(confidence !== undefined ? { confidence } : {}),
      ...(metrics.eval_count !== null ? { tokens_generated: metrics.eval_count } : {}),
      ...(metrics.tokens_per_second !== null ? { tokens_per_second: metrics.tokens_per_second } : {}),
    };
  }

  #failed(
    request: RunRequest,
    snippet: string,
    ran: { elapsed_seconds: number; stdout_path: string; stderr_path: string },
    code?: string,
  ): AttemptResult {
    writeFileSync(request.stderrPath, `${snippet}\n`);
    return {
      outcome: code === 'aborted' ? 'canceled' : code === 'timeout' ? 'timeout' : 'failed',
      return_code: null,
      signal: null,
      output_lines: 0,
      error_snippet: tail(snippet),
      ...ran,
    };
  }
}

/** The llm runner for a worker's Ollama server. */
export function createLlmRunner(
  client: OllamaClient,
  defaultModel: string,
  keepAlive?: string | number,
  limits: LlmLimits = DEFAULT_LLM_LIMITS,
): LlmRunner {
  return new LlmRunner(client, defaultModel, keepAlive, limits);
}
