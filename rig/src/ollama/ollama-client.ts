import { systemRuntime, type Runtime } from '@rigmind/protocol';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { readNdjson } from './ndjson.js';
import { openRequest, requestJson, type CallLimits, type OllamaTransport } from './ollama-http.js';
import { metricsFrom, type OllamaMetrics } from './ollama-metrics.js';
import type { OllamaResult } from './ollama-result.js';
import {
  ChatChunkSchema,
  GenerateChunkSchema,
  PsResponseSchema,
  ShowResponseSchema,
  TagsResponseSchema,
  type ChatMessage,
  type PsResponse,
  type ShowResponse,
  type TagsResponse,
  type Usage,
} from './ollama-schemas.js';
import { contextLengthOf } from './show-context.js';
import { unloadModel, type UnloadOptions, type UnloadReport } from './unload.js';

/**
 * How long a model stays loaded after a request: "5m", "24h", seconds as a number, 0 = unload now, negative =
 * forever.
 */
export type KeepAlive = string | number;

/** Per-call limits; every call has a deadline. */
export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Fields /api/generate and /api/chat share. */
interface CommonRequest extends CallOptions {
  readonly model: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly format?: 'json' | Readonly<Record<string, unknown>>;
  readonly keepAlive?: KeepAlive;
  /** Stream (default) and call onToken per chunk, or take one JSON reply. */
  readonly stream?: boolean;
  readonly onToken?: (text: string) => void;
}

/** A /api/generate request. */
export interface GenerateRequest extends CommonRequest {
  readonly prompt: string;
  readonly system?: string;
  readonly raw?: boolean;
  /** Base64-encoded images for a vision model (Qwen2.5-VL on keyframes). */
  readonly images?: readonly string[];
}

/** A /api/chat request. */
export interface ChatRequest extends CommonRequest {
  readonly messages: readonly ChatMessage[];
}

/** A finished generation: the whole text, why it stopped, and the metrics. */
export interface GenerateOutput {
  readonly model: string;
  readonly text: string;
  readonly doneReason: string | null;
  readonly metrics: OllamaMetrics;
  /** Wall time from request to done on the injected runtime's clock, which includes queueing inside Ollama. */
  readonly wallMs: number;
}

/** A finished chat turn. */
export interface ChatOutput extends GenerateOutput {
  readonly message: ChatMessage;
}

/** A load: Ollama's load_duration when it reports one, and the wall time either way. */
export interface LoadOutput {
  readonly model: string;
  readonly doneReason: string | null;
  readonly metrics: OllamaMetrics;
  readonly wallMs: number;
}

/** /api/show plus the context window worked out from it. */
export interface ShowOutput {
  readonly raw: ShowResponse;
  /** num_ctx from the model's parameters when set (what Ollama will use), else the model's trained length. */
  readonly contextLength: number | null;
  readonly numCtx: number | null;
  readonly trainedContextLength: number | null;
}

/** Options for {@link OllamaClient}. */
export interface OllamaClientOptions {
  readonly baseUrl: string;
  readonly dispatcher?: Dispatcher;
  readonly runtime?: Pick<Runtime, 'now' | 'sleep'>;
  /** Deadline for generate and chat; the seed's task timeout is 1800 s. */
  readonly generateTimeoutMs?: number;
  /** Deadline for a load; the seed's 14B takes ~2.5 min cold over PCIe Gen1 x1. */
  readonly loadTimeoutMs?: number;
  /** Deadline for ps, tags, show and the unload request itself. */
  readonly queryTimeoutMs?: number;
}

/** Ollama over HTTP, every expected failure a value with a code, every reply validated. */
export class OllamaClient {
  readonly #transport: OllamaTransport;
  readonly #runtime: Pick<Runtime, 'now' | 'sleep'>;
  readonly #generateTimeoutMs: number;
  readonly #loadTimeoutMs: number;
  readonly #queryTimeoutMs: number;

  constructor(options: OllamaClientOptions) {
    this.#transport = { baseUrl: options.baseUrl, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) };
    this.#runtime = options.runtime ?? systemRuntime;
    this.#generateTimeoutMs = options.generateTimeoutMs ?? 1_800_000;
    this.#loadTimeoutMs = options.loadTimeoutMs ?? 600_000;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  }

  /** The Ollama base URL. */
  get baseUrl(): string {
    return this.#transport.baseUrl;
  }

  /** POST /api/generate. */
  async generate(request: GenerateRequest): Promise<OllamaResult<GenerateOutput>> {
    const body = {
      ...this.#common(request),
      prompt: request.prompt,
      ...(request.system === undefined ? {} : { system: request.system }),
      ...(request.raw === undefined ? {} : { raw: request.raw }),
      ...(request.images === undefined ? {} : { images: request.images }),
    };
    const started = this.#runtime.now();
    const limits = this.#limits(request, this.#generateTimeoutMs);
    if (request.stream === false) {
      const reply = await requestJson(this.#transport, 'POST', '/api/generate', body, GenerateChunkSchema, limits);
      if (!reply.ok) return reply;
      request.onToken?.(reply.value.response);
      return { ok: true, value: this.#output(reply.value, reply.value.response, started) };
    }
    let text = '';
    const streamed = await this.#stream('/api/generate', body, GenerateChunkSchema, limits, (chunk) => {
      if (chunk.response === '') return;
      text += chunk.response;
      request.onToken?.(chunk.response);
    });
    if (!streamed.ok) return streamed;
    return { ok: true, value: this.#output(streamed.value, text, started) };
  }

  /** POST /api/chat. */
  async chat(request: ChatRequest): Promise<OllamaResult<ChatOutput>> {
    const body = { ...this.#common(request), messages: request.messages };
    const started = this.#runtime.now();
    const limits = this.#limits(request, this.#generateTimeoutMs);
    if (request.stream === false) {
      const reply = await requestJson(this.#transport, 'POST', '/api/chat', body, ChatChunkSchema, limits);
      if (!reply.ok) return reply;
      const message = reply.value.message ?? { role: 'assistant' as const, content: '' };
      request.onToken?.(message.content);
      return { ok: true, value: { ...this.#output(reply.value, message.content, started), message } };
    }
    let text = '';
    let role: ChatMessage['role'] = 'assistant';
    const streamed = await this.#stream('/api/chat', body, ChatChunkSchema, limits, (chunk) => {
      if (!chunk.message) return;
      role = chunk.message.role;
      if (chunk.message.content === '') return;
      text += chunk.message.content;
      request.onToken?.(chunk.message.content);
    });
    if (!streamed.ok) return streamed;
    return { ok: true, value: { ...this.#output(streamed.value, text, started), message: { role, content: text } } };
  }

  /** GET /api/ps: the models loaded now. */
  ps(options: CallOptions = {}): Promise<OllamaResult<PsResponse>> {
    return requestJson(
      this.#transport,
      'GET',
      '/api/ps',
      undefined,
      PsResponseSchema,
      this.#limits(options, this.#queryTimeoutMs),
    );
  }

  /** GET /api/tags: the models on disk. */
  tags(options: CallOptions = {}): Promise<OllamaResult<TagsResponse>> {
    return requestJson(
      this.#transport,
      'GET',
      '/api/tags',
      undefined,
      TagsResponseSchema,
      this.#limits(options, this.#queryTimeoutMs),
    );
  }

  /** POST /api/show, with the context window worked out. */
  async show(model: string, options: CallOptions = {}): Promise<OllamaResult<ShowOutput>> {
    const reply = await requestJson(
      this.#transport,
      'POST',
      '/api/show',
      { model },
      ShowResponseSchema,
      this.#limits(options, this.#queryTimeoutMs),
    );
    if (!reply.ok) return reply;
    return { ok: true, value: { raw: reply.value, ...contextLengthOf(reply.value) } };
  }

  /** Load a model and keep it for `keepAlive`: a generate with no prompt, as Ollama documents. */
  async load(model: string, keepAlive: KeepAlive, options: CallOptions = {}): Promise<OllamaResult<LoadOutput>> {
    const started = this.#runtime.now();
    const reply = await requestJson(
      this.#transport,
      'POST',
      '/api/generate',
      { model, keep_alive: keepAlive, stream: false },
      GenerateChunkSchema,
      this.#limits(options, this.#loadTimeoutMs),
    );
    if (!reply.ok) return reply;
    return {
      ok: true,
      value: {
        model: reply.value.model,
        doneReason: reply.value.done_reason ?? null,
        metrics: metricsFrom(reply.value),
        wallMs: this.#runtime.now() - started,
      },
    };
  }

  /** Unload: keep_alive 0, then wait until /api/ps no longer lists the model and the VRAM check agrees. */
  unload(model: string, options: UnloadOptions): Promise<OllamaResult<UnloadReport>> {
    return unloadModel(
      {
        requestUnload: () =>
          requestJson(
            this.#transport,
            'POST',
            '/api/generate',
            { model, keep_alive: 0, stream: false },
            GenerateChunkSchema,
            this.#limits({}, this.#queryTimeoutMs),
          ),
        ps: () => this.ps(),
        runtime: this.#runtime,
      },
      model,
      options,
    );
  }

  #common(request: CommonRequest): Record<string, unknown> {
    return {
      model: request.model,
      stream: request.stream !== false,
      ...(request.options === undefined ? {} : { options: request.options }),
      ...(request.format === undefined ? {} : { format: request.format }),
      ...(request.keepAlive === undefined ? {} : { keep_alive: request.keepAlive }),
    };
  }

  #limits(options: CallOptions, fallbackMs: number): CallLimits {
    return { timeoutMs: options.timeoutMs ?? fallbackMs, signal: options.signal };
  }

  #output(
    last: Usage & { model: string; done_reason?: string | undefined },
    text: string,
    started: number,
  ): GenerateOutput {
    return {
      model: last.model,
      text,
      doneReason: last.done_reason ?? null,
      metrics: metricsFrom(last),
      wallMs: this.#runtime.now() - started,
    };
  }

  async #stream<S extends z.ZodType<{ done: boolean }>>(
    path: string,
    body: unknown,
    schema: S,
    limits: CallLimits,
    onChunk: (chunk: z.infer<S>) => void,
  ): Promise<OllamaResult<z.infer<S>>> {
    const opened = await openRequest(this.#transport, 'POST', path, body, limits);
    if (!opened.ok) return opened;
    const { body: stream, classify, done } = opened.value;
    try {
      const read = await readNdjson(stream, schema, `POST ${path}`, onChunk);
      return read.ok ? { ok: true, value: read.value.last } : read;
    } catch (error) {
      return classify(error);
    } finally {
      // Whether done, refused or failed, nothing more is read: free the socket now.
      stream.destroy();
      done();
    }
  }
}
