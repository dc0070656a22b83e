/**
 * Context-window estimate without a tokenizer (the rig has none for Qwen in Node). Deliberately conservative:
 * Qwen's BPE averages about 4 ASCII characters per token on English prose and about 3 on code and JSON, so
 * ASCII counts as one token per 3.5 characters, rounded up; any other character (CJK, emoji, accents) counts
 * as a whole token, which over-counts them. Each chat message adds its template tokens, and every prompt a
 * fixed overhead for the system template. Overestimating only makes a task split or escalate early;
 * underestimating makes Ollama silently truncate the prompt's start, which is worse.
 */
export const CONTEXT_HEURISTIC = {
  asciiCharsPerToken: 3.5,
  tokensPerMessage: 8,
  promptOverheadTokens: 32,
} as const;

/** Estimated tokens in one text. */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / CONTEXT_HEURISTIC.asciiCharsPerToken) + other;
}

/** What goes into the window: a generate prompt (with optional system) or chat messages. */
export interface ContextInput {
  readonly prompt?: string;
  readonly system?: string;
  readonly messages?: readonly { readonly content: string }[];
  /** Tokens to keep free for the answer (Ollama's num_predict); the answer shares the window. */
  readonly reserveForOutput?: number;
}

/** The verdict with its numbers, so a refusal can say by how much. */
export interface ContextEstimate {
  readonly fits: boolean;
  readonly contextLength: number;
  readonly estimatedPromptTokens: number;
  readonly reservedForOutput: number;
  /** contextLength - prompt - reserve; negative when it does not fit. */
  readonly spareTokens: number;
}

/** Estimate `input` against a model's context length (from OllamaClient.show or the options.num_ctx sent). */
export function estimateContext(input: ContextInput, contextLength: number): ContextEstimate {
  if (!(Number.isInteger(contextLength) && contextLength > 0))
    throw new RangeError(`contextLength must be a positive integer, got ${contextLength}`);
  const reserve = input.reserveForOutput ?? 0;
  if (!(Number.isInteger(reserve) && reserve >= 0))
    throw new RangeError(`reserveForOutput must be a non-negative integer, got ${reserve}`);
  let tokens = CONTEXT_HEURISTIC.promptOverheadTokens;
  if (input.system !== undefined) tokens += estimateTokens(input.system) + CONTEXT_HEURISTIC.tokensPerMessage;
  if (input.prompt !== undefined) tokens += estimateTokens(input.prompt) + CONTEXT_HEURISTIC.tokensPerMessage;
  for (const message of input.messages ?? [])
    tokens += estimateTokens(message.content) + CONTEXT_HEURISTIC.tokensPerMessage;
  const spare = contextLength - tokens - reserve;
  return {
    fits: spare >= 0,
    contextLength,
    estimatedPromptTokens: tokens,
    reservedForOutput: reserve,
    spareTokens: spare,
  };
}
