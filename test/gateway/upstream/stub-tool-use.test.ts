import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicStub, type AnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';

let stub: AnthropicStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

// The stand-in must speak tool use as the Messages API does, or the gateway's tests prove nothing about it.
async function post(
  s: AnthropicStub,
  body: Record<string, unknown>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${s.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': s.apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const tool = { name: 'give_advice', description: 'd', input_schema: { type: 'object' } };

describe('the Anthropic stand-in speaks tool use', () => {
  it('answers a forced tool with a tool_use block and stop_reason tool_use; scripted input as given', async () => {
    stub = await startAnthropicStub();
    stub.script({ kind: 'ok', input: { not: 'advice' } });
    const forced = await post(stub, { tools: [tool], tool_choice: { type: 'tool', name: 'give_advice' } });
    expect(forced.status).toBe(200);
    expect(forced.json).toMatchObject({
      stop_reason: 'tool_use',
      content: [
        { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'give_advice', input: { not: 'advice' } },
      ],
    });
    const plain = await post(stub, {});
    expect(plain.json).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text' }] });
  });

  it('refuses what the API refuses: a tool_choice naming no declared tool, a non-object input_schema', async () => {
    stub = await startAnthropicStub();
    const unknown = await post(stub, { tools: [tool], tool_choice: { type: 'tool', name: 'other' } });
    expect(unknown).toEqual({
      status: 400,
      json: expect.objectContaining({
        type: 'error',
        error: { type: 'invalid_request_error', message: "tool_choice: Tool 'other' not found in provided tools" },
      }),
    });
    const schema = await post(stub, {
      tools: [{ ...tool, input_schema: { oneOf: [] } }],
      tool_choice: { type: 'tool', name: 'give_advice' },
    });
    expect(schema.status).toBe(400);
    expect((schema.json['error'] as { message: string }).message).toBe(
      "tools.0.input_schema.type: Input should be 'object'",
    );
  });
});
