/** The Ollama client: generate, chat, ps, tags, show, load, unload; failures as values with codes. */
export {
  OllamaClient,
  type OllamaClientOptions,
  type KeepAlive,
  type CallOptions,
  type GenerateRequest,
  type ChatRequest,
  type GenerateOutput,
  type ChatOutput,
  type LoadOutput,
  type ShowOutput,
} from './ollama-client.js';
export { type OllamaErrorCode, type OllamaFailure, type OllamaResult } from './ollama-result.js';
export { type OllamaMetrics, metricsFrom } from './ollama-metrics.js';
export {
  ChatMessageSchema,
  GenerateChunkSchema,
  ChatChunkSchema,
  PsResponseSchema,
  TagsResponseSchema,
  ShowResponseSchema,
  type ChatMessage,
  type PsResponse,
  type RunningModel,
  type TagsResponse,
  type ShowResponse,
} from './ollama-schemas.js';
export { unloadModel, sameModel, type UnloadOptions, type UnloadReport } from './unload.js';
export { contextLengthOf } from './show-context.js';
export { CONTEXT_HEURISTIC, estimateTokens, estimateContext, type ContextInput, type ContextEstimate } from './context.js';
