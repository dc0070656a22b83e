import type { Runtime } from '@rigmind/protocol';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AuditLog } from '../audit/audit-log.js';
import type { RefusalThrottle } from '../audit/refusal-throttle.js';
import type { NonceStore } from '../auth/nonce-store.js';
import type { RigCredential, RigRegistry } from '../auth/rig-registry.js';
import { verifySignedRequest } from '../auth/verify-request.js';
import type { GatewayLogger } from '../log/logger.js';
import type { Atomically } from '../store/open-db.js';
import { errorJson, type GatewayErrorCode } from './error-body.js';

/** Values the signed-request middleware leaves for the routes. */
export interface SignedVariables {
  rig: RigCredential;
  body: Uint8Array;
}

/** What the middleware needs. */
export interface SignedRequestDeps {
  readonly registry: RigRegistry;
  readonly nonces: NonceStore;
  readonly audit: AuditLog;
  readonly logger: GatewayLogger;
  readonly refusals: RefusalThrottle;
  readonly atomically: Atomically;
  readonly runtime: Pick<Runtime, 'now'>;
  readonly maxSkewMs: number;
  readonly bodyLimitBytes: number;
}

/** The client's address as the socket reports it. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // No socket behind the request: app.request() in a test, not a client on the network.
    return 'unknown';
  }
}

/**
 * Answer an unauthenticated request with an error, recorded in the audit log and the log unless its address is
 * over its refusals for the minute (then only counted: see {@link RefusalThrottle}).
 */
function refuseUnauthenticated(
  deps: Pick<SignedRequestDeps, 'audit' | 'logger' | 'refusals'>,
  c: Context,
  status: 401 | 413,
  code: GatewayErrorCode,
  message: string,
): Response {
  const address = clientAddress(c);
  if (deps.refusals.admit(address)) {
    const path = new URL(c.req.url).pathname;
    deps.audit.append('request_refused', 'unauthenticated', {
      method: c.req.method,
      path,
      address,
      code,
      reason: message,
    });
    deps.logger.warn({ path, address, code }, 'request refused');
  }
  return errorJson(c, status, code, message);
}

/**
 * Refuse bodies over the limit with 413 before anything reads them (and audit the refusal). A declared
 * Content-Length without Transfer-Encoding is all Node's parser will read, so it is checked without touching the
 * body (hono's bodyLimit would first turn it into a web stream, which costs every request a ReadableStream and
 * a copy); other bodies are counted as they stream, by hono's bodyLimit.
 */
export function limitBody(
  limitBytes: number,
  deps: Pick<SignedRequestDeps, 'audit' | 'logger' | 'refusals'>,
): MiddlewareHandler {
  const tooLarge = (c: Context): Response =>
    refuseUnauthenticated(deps, c, 413, 'body_too_large', `request body is over the ${limitBytes}-byte limit`);
  const streamed = bodyLimit({ maxSize: limitBytes, onError: tooLarge });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    if (Number.parseInt(declared, 10) > limitBytes) return tooLarge(c);
    await next();
    return undefined;
  };
}

/** Check every request's HMAC signature; refused requests get 401 and an audit record saying why. */
export function requireSignature(deps: SignedRequestDeps): MiddlewareHandler<{ Variables: SignedVariables }> {
  return async (c, next) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const pathWithQuery = `${url.pathname}${url.search}`;
    // The rig's lookup, its nonce and a refusal's record in one transaction: one round of SQLite's locks instead
    // of a read and then a write, on every request.
    // The verdict is the rig, or the refusal already answered (and recorded) inside the transaction.
    const result = deps.atomically((): RigCredential | Response => {
      const verdict = verifySignedRequest({
        method: c.req.method,
        pathWithQuery,
        header: (name) => c.req.header(name),
        body,
        now: deps.runtime.now(),
        maxSkewMs: deps.maxSkewMs,
        registry: deps.registry,
        nonces: deps.nonces,
      });
      return verdict.ok ? verdict.value : refuseUnauthenticated(deps, c, 401, verdict.code, verdict.message);
    });
    if (result instanceof Response) return result;
    c.set('rig', result);
    c.set('body', body);
    await next();
    return undefined;
  };
}
