import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OllamaClient } from '../../../rig/src/ollama/ollama-client.js';
import { startOllamaStub, type OllamaStub } from '../../fixtures/ollama-stub/stub-server.js';
import type { StubOptionsInput } from '../../fixtures/ollama-stub/stub-options.js';

const stubs: OllamaStub[] = [];
afterEach(async () => {
  for (const stub of stubs.splice(0)) await stub.close();
});

async function setup(options: StubOptionsInput = {}, clientOptions: { generateTimeoutMs?: number } = {}) {
  const stub = await startOllamaStub({ models: [{ name: 'qwen2.5:7b', load_ms: 30 }], ...options });
  stubs.push(stub);
  return { stub, client: new OllamaClient({ baseUrl: stub.url, ...clientOptions }) };
}

/** A port nothing listens on: bind one, then let it go. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OllamaClient.generate', () => {
  it('streams tokens to onToken, returns the whole text and records the metrics', async () => {
    const { client, stub } = await setup({ token_interval_ms: 2 });
    const tokens: string[] = [];
    const result = await client.generate({
      model: 'qwen2.5:7b',
      prompt: 'summarize the nightly transcripts',
      onToken: (t) => tokens.push(t),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toBe(result.value.text);
    expect(result.value.text).toBe('Echo of 4 words: summarize the nightly transcripts');
    expect(result.value.doneReason).toBe('stop');
    const m = result.value.metrics;
    expect(m.eval_count).toBe(tokens.length);
    expect(m.prompt_eval_count).toBeGreaterThan(0);
    expect(m.load_duration_ns).toBeGreaterThanOrEqual(30e6);
    expect(m.eval_duration_ns).toBeGreaterThan(0);
    expect(m.tokens_per_second).toBeCloseTo(((m.eval_count ?? 0) / (m.eval_duration_ns ?? 1)) * 1e9, 6);
    expect(m.prompt_tokens_per_second).toBeGreaterThan(0);
    expect(stub.state.requests.at(-1)?.body).toMatchObject({ model: 'qwen2.5:7b', stream: true });
  });

  it('takes one JSON reply with stream false and passes options and keep_alive through', async () => {
    const { client, stub } = await setup();
    const result = await client.generate({
      model: 'qwen2.5:7b',
      prompt: 'a b c d e f g h',
      stream: false,
      options: { num_predict: 3 },
      keepAlive: '10m',
    });
    expect(result.ok && result.value).toMatchObject({
      text: 'Echo of 8 ',
      doneReason: 'length',
      metrics: { eval_count: 3 },
    });
    expect(stub.state.requests.at(-1)?.body).toMatchObject({
      stream: false,
      options: { num_predict: 3 },
      keep_alive: '10m',
    });
  });

  it('reports an unknown model as model_not_found with Ollama text', async () => {
    const { client } = await setup();
    const result = await client.generate({ model: 'llama9:70b', prompt: 'hi' });
    expect(result).toEqual({
      ok: false,
      code: 'model_not_found',
      status: 404,
      ollamaError: 'model "llama9:70b" not found, try pulling it first',
      message: expect.stringContaining('404 model "llama9:70b" not found'),
    });
  });

  it('reports a 500 as ollama_error with status and text', async () => {
    const { client } = await setup({
      faults: [{ kind: 'status', status: 500, error: 'llama runner process has terminated: exit status 2' }],
    });
    const result = await client.generate({ model: 'qwen2.5:7b', prompt: 'hi' });
    expect(result).toMatchObject({
      ok: false,
      code: 'ollama_error',
      status: 500,
      ollamaError: 'llama runner process has terminated: exit status 2',
    });
  });

  it('reports a hang as timeout within the deadline', async () => {
    const { client } = await setup({ faults: [{ kind: 'hang' }] }, { generateTimeoutMs: 200 });
    const started = Date.now();
    const result = await client.generate({ model: 'qwen2.5:7b', prompt: 'hi' });
    expect(result).toMatchObject({ ok: false, code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a stream that stalls midway, too', async () => {
    const { client } = await setup({ token_interval_ms: 100 });
    const result = await client.generate({
      model: 'qwen2.5:7b',
      prompt: 'one two three four five six',
      timeoutMs: 250,
    });
    expect(result).toMatchObject({ ok: false, code: 'timeout' });
  });

  it('reports nothing listening as ollama_unreachable', async () => {
    const client = new OllamaClient({ baseUrl: `http://127.0.0.1:${await deadPort()}` });
    const result = await client.generate({ model: 'qwen2.5:7b', prompt: 'hi' });
    expect(result).toMatchObject({
      ok: false,
      code: 'ollama_unreachable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('reports a malformed NDJSON line as bad_response', async () => {
    const { client } = await setup({ faults: [{ kind: 'malformed' }] });
    const tokens: string[] = [];
    const result = await client.generate({
      model: 'qwen2.5:7b',
      prompt: 'one two three',
      onToken: (t) => tokens.push(t),
    });
    expect(result).toMatchObject({
      ok: false,
      code: 'bad_response',
      message: expect.stringContaining('line 2: not JSON'),
    });
    expect(tokens).toHaveLength(1);
  });

  it('reports an error line inside the stream as ollama_error', async () => {
    const { client } = await setup({
      faults: [{ kind: 'error_line', error: 'an error was encountered while running the model' }],
    });
    const result = await client.generate({ model: 'qwen2.5:7b', prompt: 'one two three' });
    expect(result).toMatchObject({
      ok: false,
      code: 'ollama_error',
      ollamaError: 'an error was encountered while running the model',
    });
  });

  it('reports a connection cut mid-stream as ollama_unreachable', async () => {
    const { client } = await setup({ faults: [{ kind: 'drop' }] });
    const result = await client.generate({ model: 'qwen2.5:7b', prompt: 'one two three' });
    expect(result).toMatchObject({ ok: false, code: 'ollama_unreachable' });
  });

  it('reports the caller canceling as aborted', async () => {
    const { client } = await setup({ token_interval_ms: 50 });
    const controller = new AbortController();
    const pending = client.generate({
      model: 'qwen2.5:7b',
      prompt: 'one two three four five',
      signal: controller.signal,
      onToken: () => controller.abort(),
    });
    expect(await pending).toMatchObject({ ok: false, code: 'aborted' });
  });
});

describe('OllamaClient.chat', () => {
  it('streams the assistant message and records metrics', async () => {
    const { client } = await setup();
    const tokens: string[] = [];
    const result = await client.chat({
      model: 'qwen2.5:7b',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'why is the sky blue' },
      ],
      onToken: (t) => tokens.push(t),
    });
    expect(result.ok && result.value.message).toEqual({
      role: 'assistant',
      content: 'Echo of 7 words: be brief why is the sky blue',
    });
    expect(result.ok && result.value.metrics.eval_count).toBe(tokens.length);
  });

  it('takes one JSON reply with stream false', async () => {
    const { client } = await setup();
    const result = await client.chat({
      model: 'qwen2.5:7b',
      messages: [{ role: 'user', content: 'hi there' }],
      stream: false,
    });
    expect(result.ok && result.value).toMatchObject({
      text: 'Echo of 2 words: hi there',
      message: { role: 'assistant' },
      doneReason: 'stop',
    });
  });
});

describe('OllamaClient queries', () => {
  it('lists models on disk and loaded ones, with the real ps fields', async () => {
    const { client } = await setup({
      models: [
        { name: 'qwen2.5:7b', vram_mb: 5200 },
        { name: 'qwen2.5:14b', vram_mb: 9800 },
      ],
    });
    const tags = await client.tags();
    expect(tags.ok && tags.value.models.map((model) => model.name)).toEqual(['qwen2.5:7b', 'qwen2.5:14b']);
    expect(await client.ps()).toEqual({ ok: true, value: { models: [] } });
    const loaded = await client.load('qwen2.5:7b', -1);
    expect(loaded.ok && loaded.value.doneReason).toBe('load');
    const ps = await client.ps();
    expect(ps.ok && ps.value.models).toEqual([
      {
        name: 'qwen2.5:7b',
        model: 'qwen2.5:7b',
        size: 5200 * 1024 * 1024,
        size_vram: 5200 * 1024 * 1024,
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        details: expect.objectContaining({ family: 'qwen2', format: 'gguf' }),
        expires_at: expect.stringMatching(/^2318-/),
      },
    ]);
  });

  it('shows a model with its context length: num_ctx when set, else the trained length', async () => {
    const { client } = await setup({
      models: [
        { name: 'qwen2.5:7b', context_length: 32768, num_ctx: 8192 },
        { name: 'qwen2.5:14b', context_length: 32768 },
      ],
    });
    expect(await client.show('qwen2.5:7b')).toMatchObject({
      ok: true,
      value: { contextLength: 8192, numCtx: 8192, trainedContextLength: 32768 },
    });
    expect(await client.show('qwen2.5:14b')).toMatchObject({
      ok: true,
      value: { contextLength: 32768, numCtx: null, trainedContextLength: 32768 },
    });
    expect(await client.show('nope')).toMatchObject({ ok: false, code: 'model_not_found' });
  });

  it('reports another status on a query as ollama_error', async () => {
    const { client, stub } = await setup();
    stub.state.faults.push({ kind: 'status', status: 503, error: 'server busy', path: '/api/ps' });
    expect(await client.ps()).toMatchObject({
      ok: false,
      code: 'ollama_error',
      status: 503,
      ollamaError: 'server busy',
    });
    expect(await client.ps()).toMatchObject({ ok: true });
  });

  it('reports an off-schema or non-JSON reply as bad_response', async () => {
    const server = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/api/ps' ? '{"models":"none"}' : '<html>proxy</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new OllamaClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      expect(await client.ps()).toMatchObject({
        ok: false,
        code: 'bad_response',
        message: expect.stringContaining('models'),
      });
      expect(await client.tags()).toMatchObject({
        ok: false,
        code: 'bad_response',
        message: expect.stringContaining('not JSON'),
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
