import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/**
 * Request signing between a rig and its gateway: HMAC-SHA256 over one canonical string made of the method,
 * the path with its query, a timestamp, a nonce and the SHA-256 of the body. Both sides build the string here,
 * so they cannot drift apart. Pure functions: the caller supplies time and nonce.
 */

/** Header names a signed request carries (lower case, as HTTP/2 and fetch normalise them). */
export const SIGNATURE_HEADERS = {
  rig: 'x-rigmind-rig',
  timestamp: 'x-rigmind-timestamp',
  nonce: 'x-rigmind-nonce',
  contentSha256: 'x-rigmind-content-sha256',
  signature: 'x-rigmind-signature',
} as const;

/** The scheme tag that opens every canonical string; a new scheme gets a new tag. */
export const SIGNATURE_SCHEME = 'RIGMIND-HMAC-SHA256-V1';

/** How far a timestamp may be from the receiver's clock, either way, before the request counts as stale. */
export const SIGNATURE_MAX_SKEW_MS = 5 * 60 * 1000;

/** What the signature covers. `timestamp` is Unix milliseconds as a decimal string. */
export interface SignedParts {
  readonly method: string;
  /** Path with query string exactly as sent, e.g. `/v1/reports/cost?from=2025-01-01`. */
  readonly pathWithQuery: string;
  readonly timestamp: string;
  readonly nonce: string;
  /** Lower-case hex SHA-256 of the body bytes (of the empty string when there is no body). */
  readonly bodySha256: string;
}

/** Lower-case hex SHA-256 of a body. */
export function sha256Hex(body: string | Uint8Array): string {
  // One-shot (Node 20.12+): no Hash object to create per call, cheaper for bodies this small.
  return hash('sha256', body, 'hex');
}

/** The string that is signed: one field per line, so no field can run into the next. */
export function canonicalString(parts: SignedParts): string {
  for (const [name, value] of Object.entries(parts)) {
    if (/[\r\n]/.test(value)) throw new SigningError('invalid_part', `signed part ${name} contains a line break`);
  }
  return [
    SIGNATURE_SCHEME,
    parts.method.toUpperCase(),
    parts.pathWithQuery,
    parts.timestamp,
    parts.nonce,
    parts.bodySha256,
  ].join('\n');
}

/** Lower-case hex HMAC-SHA256 of the canonical string under `secret`. */
export function computeSignature(secret: string, parts: SignedParts): string {
  return createHmac('sha256', secret).update(canonicalString(parts)).digest('hex');
}

/** Whether `signature` is the right one for `parts`, compared in constant time. */
export function signatureMatches(secret: string, parts: SignedParts, signature: string): boolean {
  const expected = Buffer.from(computeSignature(secret, parts), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  // timingSafeEqual needs equal lengths; comparing against a same-size dummy keeps the timing flat.
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, given);
}

/** Inputs to {@link signRequest}. */
export interface SignRequestInput {
  readonly rigId: string;
  readonly secret: string;
  readonly method: string;
  readonly pathWithQuery: string;
  readonly body: string | Uint8Array;
  /** Unix milliseconds. */
  readonly now: number;
  /** A fresh random value per request (at least 16 bytes of entropy, e.g. a UUID). */
  readonly nonce: string;
}

/** The headers that sign one request. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const parts: SignedParts = {
    method: input.method,
    pathWithQuery: input.pathWithQuery,
    timestamp: String(Math.trunc(input.now)),
    nonce: input.nonce,
    bodySha256: sha256Hex(input.body),
  };
  return {
    [SIGNATURE_HEADERS.rig]: input.rigId,
    [SIGNATURE_HEADERS.timestamp]: parts.timestamp,
    [SIGNATURE_HEADERS.nonce]: parts.nonce,
    [SIGNATURE_HEADERS.contentSha256]: parts.bodySha256,
    [SIGNATURE_HEADERS.signature]: computeSignature(input.secret, parts),
  };
}

/** A signing call made with impossible input (a bug in the caller, not a bad request). */
export class SigningError extends Error {
  /** Stable code. */
  readonly code: 'invalid_part';
  constructor(code: 'invalid_part', message: string) {
    super(message);
    this.name = 'SigningError';
    this.code = code;
  }
}
