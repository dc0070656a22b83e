import { describe, expect, it } from 'vitest';
import { ReplyHeaders } from '../../../gateway/src/upstream/reply-headers.js';

describe('ReplyHeaders', () => {
  const raw = {
    'retry-after': '2',
    'Request-Id': 'req_1',
    'set-cookie': ['a=1', 'b=2'],
    vary: ['accept', 'origin'],
    'x-empty': undefined,
  };

  it('reads like the fetch Headers built from the same fields', () => {
    const ours = new ReplyHeaders(raw);
    const fetchs = new Headers();
    for (const [name, value] of Object.entries(raw))
      for (const item of value === undefined ? [] : [value].flat()) fetchs.append(name, item);
    expect([...ours]).toEqual([...fetchs]);
    expect([...ours.entries()]).toEqual([...fetchs.entries()]);
    expect([...ours.keys()]).toEqual([...fetchs.keys()]);
    expect([...ours.values()]).toEqual([...fetchs.values()]);
    for (const name of ['request-id', 'REQUEST-ID', 'vary', 'set-cookie', 'retry-after', 'missing', 'x-empty']) {
      expect(ours.get(name)).toBe(fetchs.get(name));
      expect(ours.has(name)).toBe(fetchs.has(name));
    }
    expect(ours.getSetCookie()).toEqual(fetchs.getSetCookie());
    const seen: string[] = [];
    ours.forEach((value, name, parent) => {
      expect(parent).toBe(ours);
      seen.push(`${name}=${value}`);
    });
    const expected: string[] = [];
    fetchs.forEach((value, name) => {
      expected.push(`${name}=${value}`);
    });
    expect(seen).toEqual(expected);
  });

  it("is read-only, as a reply's headers are", () => {
    const headers = ReplyHeaders.fromPairs([['Content-Type', 'application/json']]);
    expect(headers.get('content-type')).toBe('application/json');
    expect(() => headers.set()).toThrow(TypeError);
    expect(() => headers.append()).toThrow(TypeError);
    expect(() => headers.delete()).toThrow(TypeError);
  });
});
