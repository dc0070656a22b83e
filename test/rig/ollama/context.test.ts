import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTEXT_HEURISTIC, estimateContext, estimateTokens } from '../../../rig/src/ollama/context.js';

describe('estimateTokens', () => {
  it('counts ASCII at 3.5 characters per token, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abc')).toBe(1);
    expect(estimateTokens('a'.repeat(35))).toBe(10);
    expect(estimateTokens('a'.repeat(36))).toBe(11);
  });

  it('counts every non-ASCII code point as a whole token', () => {
    expect(estimateTokens('天空为什么是蓝色')).toBe(8);
    expect(estimateTokens('café 🚀')).toBe(Math.ceil(4 / 3.5) + 2);
  });

  it('never estimates below the 4-characters-per-token Qwen averages on English', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii', maxLength: 2_000 }),
        (text) => estimateTokens(text) >= Math.ceil(text.length / 4),
      ),
    );
  });
});

describe('estimateContext', () => {
  it('says a short prompt fits, with the numbers', () => {
    const estimate = estimateContext({ system: 'be brief', prompt: 'x'.repeat(350), reserveForOutput: 512 }, 4096);
    const prompt = CONTEXT_HEURISTIC.promptOverheadTokens + (3 + 8) + (100 + 8);
    expect(estimate).toEqual({
      fits: true,
      contextLength: 4096,
      estimatedPromptTokens: prompt,
      reservedForOutput: 512,
      spareTokens: 4096 - prompt - 512,
    });
  });

  it('says a long transcript does not fit and by how much', () => {
    const estimate = estimateContext({ messages: [{ content: 'y'.repeat(35_000) }], reserveForOutput: 1_024 }, 8_192);
    expect(estimate.fits).toBe(false);
    expect(estimate.spareTokens).toBe(8_192 - (32 + 10_000 + 8) - 1_024);
  });

  it('counts the reserve for output: a prompt that fits alone may not fit with an answer', () => {
    const input = { prompt: 'z'.repeat(3_500) };
    expect(estimateContext(input, 1_100).fits).toBe(true);
    expect(estimateContext({ ...input, reserveForOutput: 200 }, 1_100).fits).toBe(false);
  });

  it('refuses nonsense lengths as bugs', () => {
    expect(() => estimateContext({ prompt: 'a' }, 0)).toThrow(RangeError);
    expect(() => estimateContext({ prompt: 'a', reserveForOutput: -1 }, 10)).toThrow(RangeError);
  });
});
