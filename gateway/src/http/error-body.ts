import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';

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

/** One problem in a refused request. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** A JSON error response. */
export function errorJson(c: Context, status: ContentfulStatusCode, code: string, message: string, issues?: readonly Issue[]): Response {
  const body: ErrorBody = { error: issues === undefined || issues.length === 0 ? { code, message } : { code, message, issues: [...issues] } };
  return c.json(body, status);
}
