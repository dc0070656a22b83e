import { describe, expect, it } from 'vitest';
import { BufferedResponse } from '../../../gateway/src/upstream/buffered-response.js';

describe('BufferedResponse', () => {
  it('is a Response with status and headers, whose body reads once as JSON or text', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'message', text: 'héllo' }));
    const response = new BufferedResponse(bytes, {
      status: 200,
      headers: [
        ['content-type', 'application/json'],
        ['request-id', 'req_1'],
      ],
    });
    expect(response).toBeInstanceOf(Response);
    expect(response.ok).toBe(true);
    expect(response.headers.get('request-id')).toBe('req_1');
    const copy = response.clone();
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ type: 'message', text: 'héllo' });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(() => response.clone()).toThrow(TypeError);
    expect(await copy.text()).toBe('{"type":"message","text":"héllo"}');
    expect(new Uint8Array(await new BufferedResponse(bytes.subarray(1, 5), { status: 500 }).arrayBuffer())).toEqual(
      bytes.subarray(1, 5),
    );
  });

  it('reads an absent body as empty', async () => {
    const response = new BufferedResponse(null, { status: 204 });
    expect(response.body).toBeNull();
    expect(await response.text()).toBe('');
  });
});
