import { isUtf8 } from 'node:buffer';

/**
 * Checks on a frame's raw bytes, made before JSON.parse: JSON.parse and the schema walk cost grows with nesting,
 * and a frame of a million `[` kept the brain's loop (and the heartbeats it sends) stalled for most of a second,
 * so nesting is bounded by a linear scan first. The scan reads bytes: `{`, `[`, `"` and `\` are ASCII and never
 * occur inside a multi-byte UTF-8 sequence, so no decoding is needed for it.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The byte offset where nesting first goes deeper than `maxDepth`, or -1 when it never does. */
export function overDepthAt(bytes: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return i;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth -= 1;
  }
  return -1;
}

/** The byte offset of the first byte that is not valid UTF-8, or -1 when every byte is (C++ fast path first). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    const length = sequenceLength(lead);
    if (length === 0) return i;
    if (length > 1 && !validTail(bytes, i, lead, length)) return i;
    i += length;
  }
  return -1;
}

/** Bytes in the sequence a lead byte starts; 0 for a byte that cannot lead (a continuation, 0xC0-0xC1, 0xF5-). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  return lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
}

/** A sequence's continuation bytes, in the ranges that exclude overlongs, surrogates and points past U+10FFFF. */
function validTail(bytes: Uint8Array, at: number, lead: number, length: number): boolean {
  if (at + length > bytes.length) return false;
  const second = bytes[at + 1] as number;
  const low = (lead === 0xe0 && 0xa0) || (lead === 0xf0 && 0x90) || 0x80;
  const high = (lead === 0xed && 0x9f) || (lead === 0xf4 && 0x8f) || 0xbf;
  if (second < low || second > high) return false;
  for (let k = 2; k < length; k += 1) {
    const next = bytes[at + k] as number;
    if (next < 0x80 || next > 0xbf) return false;
  }
  return true;
}

/** Bytes of a frame's start searched for its msg_id: createMessage writes it third, after `v` and `sender`. */
const MSG_ID_WINDOW = 4096;
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The top-level `msg_id` of a frame that failed to parse, so that its refusal can still answer it. Cheap and safe:
 * only the first 4 KiB are read, only a key at the top level counts, and only a plain id of at most 128 characters.
 */
export function recoverMsgId(bytes: Uint8Array): string | undefined {
  const end = Math.min(bytes.length, MSG_ID_WINDOW);
  let depth = 0;
  let expectKey = false;
  let lastKey: string | undefined;
  let i = 0;
  while (i < end) {
    const byte = bytes[i] as number;
    if (byte === QUOTE) {
      const close = stringEnd(bytes, i, end);
      if (close < 0) return undefined;
      const text = Buffer.from(bytes.buffer, bytes.byteOffset + i + 1, close - i - 1).toString('latin1');
      if (depth === 1 && expectKey) lastKey = text;
      else if (depth === 1 && lastKey === 'msg_id') return SAFE_ID.test(text) ? text : undefined;
      i = close + 1;
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth -= 1;
    if (depth === 1 && (byte === OPEN_BRACE || byte === 0x2c)) {
      expectKey = true;
      lastKey = undefined;
    } else if (depth === 1 && byte === 0x3a) expectKey = false;
    i += 1;
  }
  return undefined;
}

/** Index of the quote closing the string opened at `open`, or -1 before `end`. */
function stringEnd(bytes: Uint8Array, open: number, end: number): number {
  for (let i = open + 1; i < end; i += 1) {
    const byte = bytes[i] as number;
    if (byte === BACKSLASH) i += 1;
    else if (byte === QUOTE) return i;
  }
  return -1;
}
