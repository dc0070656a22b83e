import {
  err,
  ok,
  SIGNATURE_HEADERS,
  sha256Hex,
  signatureMatches,
  type Result,
  type SignedParts,
} from '@rigmind/protocol';
import type { NonceStore } from './nonce-store.js';
import type { RigCredential, RigRegistry } from './rig-registry.js';

/** Stable codes for a refused signature. */
export type AuthErrorCode =
  | 'unsigned'
  | 'malformed_signature'
  | 'stale_request'
  | 'unknown_rig'
  | 'body_mismatch'
  | 'bad_signature'
  | 'replayed_request';

/** An authenticated rig or why not. */
export type AuthResult = Result<RigCredential, AuthErrorCode>;

/** What {@link verifySignedRequest} needs from the request and the gateway. */
export interface VerifyInput {
  readonly method: string;
  readonly pathWithQuery: string;
  readonly header: (name: string) => string | undefined;
  readonly body: Uint8Array;
  readonly now: number;
  readonly maxSkewMs: number;
  readonly registry: RigRegistry;
  readonly nonces: NonceStore;
}

/**
 * Check a request's signature. Cheap checks first; the nonce is recorded only once the signature holds,
 * so unauthenticated traffic cannot fill the nonce table or burn a real rig's nonces.
 */
export function verifySignedRequest(input: VerifyInput): AuthResult {
  const rigId = input.header(SIGNATURE_HEADERS.rig);
  const timestamp = input.header(SIGNATURE_HEADERS.timestamp);
  const nonce = input.header(SIGNATURE_HEADERS.nonce);
  const contentSha = input.header(SIGNATURE_HEADERS.contentSha256);
  const signature = input.header(SIGNATURE_HEADERS.signature);
  if (
    rigId === undefined ||
    timestamp === undefined ||
    nonce === undefined ||
    contentSha === undefined ||
    signature === undefined
  ) {
    const missing = Object.values(SIGNATURE_HEADERS).filter((name) => input.header(name) === undefined);
    return err('unsigned', `request is not signed: missing ${missing.join(', ')}`);
  }
  if (!/^\d{1,16}$/.test(timestamp) || !/^[A-Za-z0-9_-]{16,128}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(contentSha)) {
    return err(
      'malformed_signature',
      'timestamp must be Unix milliseconds, nonce 16-128 url-safe characters, content hash 64 hex digits',
    );
  }
  const skew = input.now - Number(timestamp);
  if (Math.abs(skew) > input.maxSkewMs) {
    return err(
      'stale_request',
      `timestamp is ${Math.round(skew / 1000)} s from the gateway's clock (limit ${input.maxSkewMs / 1000} s)`,
    );
  }
  const rig = input.registry.findActive(rigId);
  if (rig === undefined) return err('unknown_rig', 'unknown or revoked rig');
  if (sha256Hex(input.body) !== contentSha) return err('body_mismatch', 'body does not match its signed SHA-256');
  const parts: SignedParts = {
    method: input.method,
    pathWithQuery: input.pathWithQuery,
    timestamp,
    nonce,
    bodySha256: contentSha,
  };
  if (!signatureMatches(rig.secret, parts, signature)) return err('bad_signature', 'signature does not match');
  if (!input.nonces.remember(rig.rigId, nonce, input.now))
    return err('replayed_request', 'nonce already used: request replayed');
  return ok(rig);
}
