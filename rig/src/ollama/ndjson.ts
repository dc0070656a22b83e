import type { z } from 'zod';
import { parseJson } from './ollama-http.js';
import type { OllamaResult } from './ollama-result.js';

/**
 * Read a streamed NDJSON body and hand each validated object to `onChunk` until one says `done`.
 * Returns the done chunk. A malformed line, an `{error}` line (Ollama reports failures mid-stream that way)
 * or a stream that ends before `done` is a failure value. Errors from reading the body itself are thrown
 * for the caller's classify.
 */
export async function readNdjson<S extends z.ZodType<{ done: boolean }>>(
  body: AsyncIterable<Uint8Array | string>,
  schema: S,
  where: string,
  onChunk: (chunk: z.infer<S>) => void,
): Promise<OllamaResult<{ last: z.infer<S>; lines: number }>> {
  const decoder = new TextDecoder();
  let buffer = '';
  let lines = 0;
  const take = (line: string): OllamaResult<z.infer<S>> | null => {
    if (line.trim() === '') return null;
    lines += 1;
    return parseJson(line, schema, `${where} line ${lines}`);
  };
  for await (const piece of body) {
    buffer += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const parsed = take(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      if (parsed) {
        if (!parsed.ok) return parsed;
        onChunk(parsed.value);
        if (parsed.value.done) return { ok: true, value: { last: parsed.value, lines } };
      }
      newline = buffer.indexOf('\n');
    }
  }
  buffer += decoder.decode();
  const tail = take(buffer);
  if (tail) {
    if (!tail.ok) return tail;
    onChunk(tail.value);
    if (tail.value.done) return { ok: true, value: { last: tail.value, lines } };
  }
  return {
    ok: false,
    code: 'bad_response',
    message: `${where}: the stream ended after ${lines} lines without a done chunk`,
  };
}
