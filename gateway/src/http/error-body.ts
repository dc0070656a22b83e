import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { AuthErrorCode } from '../auth/verify-request.js';

/** The body of every error the gateway returns: a stable code, a sentence, and where the problems are. */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  }),
});
/** An error body. */
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * Every code the gateway answers an HTTP request with (docs/gateway.md lists them with their statuses). The wire
 * schema keeps `code` a string so a rig reads a newer gateway's body; the gateway itself can only send these.
 */
export type GatewayErrorCode =
  | AuthErrorCode
  | 'body_too_large'
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_query'
  | 'model_not_allowed'
  | 'rate_limited'
  | 'idempotency_conflict'
  | 'budget_exceeded'
  | 'ledger_unavailable'
  | 'not_found'
  | 'in_delivery'
  | 'already_settled'
  | 'internal';

/** One problem in a refused request. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** A JSON error response. */
export function errorJson(
  c: Context,
  status: ContentfulStatusCode,
  code: GatewayErrorCode,
  message: string,
  issues?: readonly Issue[],
): Response {
  const body: ErrorBody = {
    error: issues === undefined || issues.length === 0 ? { code, message } : { code, message, issues: [...issues] },
  };
  return c.json(body, status);
}
