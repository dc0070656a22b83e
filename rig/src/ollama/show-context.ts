import type { ShowResponse } from './ollama-schemas.js';

/**
 * The context window from /api/show. `num_ctx` in the model's parameters is what Ollama will run with;
 * `<arch>.context_length` in model_info is what the model was trained for, an upper bound. Without num_ctx
 * Ollama uses its server default (OLLAMA_CONTEXT_LENGTH), which /api/show does not report, so callers that
 * care should pass options.num_ctx explicitly and check against that.
 */
export function contextLengthOf(show: ShowResponse): {
  contextLength: number | null;
  numCtx: number | null;
  trainedContextLength: number | null;
} {
  const numCtx = numCtxOf(show.parameters);
  let trained: number | null = null;
  for (const [key, value] of Object.entries(show.model_info ?? {})) {
    if (key.endsWith('.context_length') && typeof value === 'number' && Number.isInteger(value) && value > 0) {
      trained = value;
      break;
    }
  }
  return { contextLength: numCtx ?? trained, numCtx, trainedContextLength: trained };
}

// /api/show's parameters are Modelfile lines, name then value: "num_ctx                        4096".
function numCtxOf(parameters: string | undefined): number | null {
  const match = /^\s*num_ctx\s+(\d+)\s*$/m.exec(parameters ?? '');
  const value = match?.[1] === undefined ? NaN : Number(match[1]);
  return Number.isInteger(value) && value > 0 ? value : null;
}
