import { Hono } from 'hono';
import type { GatewayLogger } from '../log/logger.js';
import { errorJson } from './error-body.js';
import { escalationRoutes, type EscalationRouteDeps } from './escalation-routes.js';
import { reportRoutes, type ReportRouteDeps } from './report-routes.js';
import { limitBody, requireSignature, type SignedRequestDeps, type SignedVariables } from './signed-requests.js';

/** Everything the HTTP layer needs. */
export type AppDeps = EscalationRouteDeps & ReportRouteDeps & SignedRequestDeps & { readonly logger: GatewayLogger };

/** The gateway's HTTP API. Only GET /healthz is unauthenticated, and it says nothing but that the gateway is up. */
export function createApp(deps: AppDeps): Hono<{ Variables: SignedVariables }> {
  const app = new Hono<{ Variables: SignedVariables }>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }, 200));
  app.use('/v1/*', limitBody(deps.bodyLimitBytes, deps));
  app.use('/v1/*', requireSignature(deps));
  app.route('/v1/escalations', escalationRoutes(deps));
  app.route('/v1/reports', reportRoutes(deps));
  app.notFound((c) => errorJson(c, 404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((error, c) => {
    deps.logger.error({ err: error, path: new URL(c.req.url).pathname }, 'request failed');
    return errorJson(c, 500, 'internal', 'the gateway failed to handle this request');
  });
  return app;
}
