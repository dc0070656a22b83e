import {
  createMessage,
  encodeMessage,
  firstInvalidUtf8,
  MAX_FRAME_BYTES,
  MAX_FRAME_DEPTH,
  parseMessage,
  type ProtocolErrorCode,
} from '@rigmind/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleList, sampleMessages } from './sample-messages.js';

const CODES: readonly ProtocolErrorCode[] = [
  'frame_too_large',
  'too_deep',
  'invalid_utf8',
  'invalid_json',
  'invalid_message',
  'version_mismatch',
  'dispatch_forbidden',
  'unexpected_sender',
];
const codeOf = (frame: Uint8Array | string): ProtocolErrorCode | 'ok' => {
  const parsed = parseMessage(frame);
  return parsed.ok ? 'ok' : parsed.error.code;
};

describe('parseMessage round-trips', () => {
  it.each(sampleList().map((message) => [message.kind, message] as const))(
    '%s survives createMessage, encodeMessage and parseMessage',
    (_kind, message) => {
      const frame = encodeMessage(message);
      const parsed = parseMessage(frame);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
      expect(parsed.value).toEqual(message);
      expect(parseMessage(new TextEncoder().encode(frame))).toEqual(parsed);
    },
  );

  it('fills the envelope and the reply reference', () => {
    const message = createMessage('ack', { role: 'brain', id: 'brain' }, { detail: 'ok', affected: [] }, 'abc');
    expect(message).toMatchObject({ v: 1, kind: 'ack', re: 'abc', sender: { role: 'brain', id: 'brain' } });
    expect(Number.isNaN(Date.parse(message.ts))).toBe(false);
    expect(createMessage('ack', { role: 'brain', id: 'brain' }, { detail: 'ok', affected: [] }).msg_id).not.toBe(
      message.msg_id,
    );
  });

  it('parses a frame that is a view into a larger buffer', () => {
    const bytes = new TextEncoder().encode(`xxxx${encodeMessage(sampleMessages().heartbeat)}yyyy`);
    expect(codeOf(bytes.subarray(4, bytes.length - 4))).toBe('ok');
  });
});

describe('parseMessage refuses bad frames with stable codes', () => {
  const heartbeat = (): Record<string, unknown> => ({ ...sampleMessages().heartbeat });

  it('refuses garbage and non-objects', () => {
    expect(codeOf('')).toBe('invalid_json');
    expect(codeOf('{"v":1,')).toBe('invalid_json');
    expect(codeOf(new Uint8Array([0xff, 0xfe, 0x00]))).toBe('invalid_utf8');
    for (const frame of ['null', '[]', '42', '"hello"', 'true']) expect(codeOf(frame)).toBe('invalid_message');
  });

  it('refuses a wrong or missing version before reading the body', () => {
    for (const v of [2, 0, '1', null, undefined])
      expect(codeOf(JSON.stringify({ ...heartbeat(), v }))).toBe('version_mismatch');
  });

  it('refuses a frame over the limit before parsing it', () => {
    const big = JSON.stringify({ ...heartbeat(), pad: 'x'.repeat(MAX_FRAME_BYTES) });
    expect(codeOf(big)).toBe('frame_too_large');
    expect(parseMessage(encodeMessage(sampleMessages().heartbeat), { maxBytes: 10 }).ok).toBe(false);
  });

  it('refuses invalid bodies: unknown kind, unknown field, wrong type, missing field, bad sender', () => {
    const cases: Record<string, unknown>[] = [
      { ...heartbeat(), kind: 'launch_missiles' },
      { ...heartbeat(), extra: true },
      { ...sampleMessages().task_started, attempt: 0 },
      { ...sampleMessages().task_started, task_id: undefined },
      { ...heartbeat(), sender: { role: 'root', id: 'x' } },
      { ...heartbeat(), ts: 'yesterday' },
    ];
    for (const message of cases) {
      const parsed = parseMessage(JSON.stringify(message));
      expect(parsed.ok === false && parsed.error.code, JSON.stringify(message)).toBe('invalid_message');
      expect(parsed.ok === false && parsed.error.issues.length).toBeGreaterThan(0);
    }
  });

  it('never throws on arbitrary strings, and answers with a known code', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect([...CODES, 'ok']).toContain(codeOf(text));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(codeOf(bytes)).not.toBe('ok');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary JSON, nor on valid messages with a field replaced by arbitrary JSON', () => {
    const samples = sampleList();
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(samples.length - 1), fc.string({ maxLength: 12 }), (value, pick, key) => {
        expect(CODES).toContain(codeOf(JSON.stringify(value)));
        const base = samples[pick]!;
        const mutated = { ...base, [key === '' ? 'v' : key]: value };
        const code = codeOf(JSON.stringify(mutated));
        expect([...CODES, 'ok']).toContain(code);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseMessage bounds a frame before JSON.parse, and names the request it refuses', () => {
  const status = () => createMessage('status_request', { role: 'client', id: 'c' }, {});

  it('refuses nesting deeper than the limit, found by a byte scan that skips strings', () => {
    const message = status();
    const nested = `${'['.repeat(MAX_FRAME_DEPTH)}${']'.repeat(MAX_FRAME_DEPTH)}`;
    const deep = `{"v":1,"msg_id":"${message.msg_id}","x":${nested}}`;
    const parsed = parseMessage(deep);
    expect(parsed.ok === false && parsed.error).toMatchObject({ code: 'too_deep', re: message.msg_id });
    // Brackets inside a string are text, not nesting.
    const inString = createMessage(
      'status_request',
      { role: 'client', id: 'c' },
      { plan_id: `${'[{'.repeat(100)}\\"[` },
    );
    expect(parseMessage(encodeMessage(inString))).toEqual({ ok: true, value: inString });
    expect(parseMessage(encodeMessage(message), { maxDepth: 1 }).ok).toBe(false);
    expect(parseMessage(encodeMessage(message), { maxDepth: 2 }).ok).toBe(true);
  });

  it('refuses a million brackets in milliseconds, not seconds', () => {
    const hostile = `{"v":1,"msg_id":"h1","x":${'['.repeat(1024 * 1024)}`;
    const started = performance.now();
    const parsed = parseMessage(hostile);
    expect(parsed.ok === false && parsed.error).toMatchObject({ code: 'too_deep', re: 'h1' });
    // Not a timing assertion on the machine: the scan stops at the first byte past the limit.
    expect(parsed.ok === false && parsed.error.message).toContain(
      `at byte ${hostile.indexOf('[') + MAX_FRAME_DEPTH - 1}`,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(0);
  });

  it('refuses invalid UTF-8 naming the byte, instead of replacing it with U+FFFD', () => {
    const good = Buffer.from(
      encodeMessage(createMessage('cancel_request', { role: 'client', id: 'c' }, { target: 'caf\u00e9' })),
    );
    const at = good.indexOf('caf') + 3;
    const bad = Buffer.concat([good.subarray(0, at), Buffer.from([0xe9]), good.subarray(at + 2)]);
    const parsed = parseMessage(bad);
    expect(parsed.ok === false && parsed.error).toMatchObject({ code: 'invalid_utf8' });
    expect(parsed.ok === false && parsed.error.message).toContain(`byte ${at}`);
    expect(parsed.ok === false && parsed.error.re).toBeDefined();
  });

  it('finds the first invalid byte: stray continuations, truncations, overlongs, surrogates', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii, é, 漢, 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc3]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0x42, 0xed, 0xa0, 0x80]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
  });

  it('recovers the msg_id of a refused frame only from the top level', () => {
    const message = status();
    const tooBig = parseMessage(`${encodeMessage(message).slice(0, -1)},"pad":"${'x'.repeat(200)}"}`, {
      maxBytes: 100,
    });
    expect(tooBig.ok === false && tooBig.error).toMatchObject({ code: 'frame_too_large', re: message.msg_id });
    const nested = parseMessage('{"v":1,"x":{"msg_id":"inner"},"y":[[');
    expect(nested.ok === false && nested.error.re).toBeUndefined();
    const schema = parseMessage(JSON.stringify({ ...message, include_tasks: 'yes' }));
    expect(schema.ok === false && schema.error).toMatchObject({ code: 'invalid_message', re: message.msg_id });
  });
});
