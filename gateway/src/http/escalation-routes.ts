import type { Runtime } from '@rigmind/protocol';
import {
  EscalationRequestSchema,
  EscalationResponseSchema,
  IdempotencyKeySchema,
  redactDeep,
  toIssues,
  type EscalationResponse,
} from '@rigmind/protocol';
import { Hono, type Context } from 'hono';
import type { AuditLog } from '../audit/audit-log.js';
import type { GatewayConfig } from '../config/config-schema.js';
import type { Delivery, EscalationService } from '../escalation/escalation-service.js';
import type { EscalationRow, EscalationStore } from '../escalation/escalation-store.js';
import type { RigLimiter } from '../limits/rig-limiter.js';
import type { GatewayLogger } from '../log/logger.js';
import type { Atomically } from '../store/open-db.js';
import { errorJson, type GatewayErrorCode } from './error-body.js';
import type { SignedVariables } from './signed-requests.js';

/** What the escalation routes need. */
export interface EscalationRouteDeps {
  readonly config: GatewayConfig;
  readonly store: EscalationStore;
  readonly service: EscalationService;
  readonly rigLimiter: RigLimiter;
  readonly audit: AuditLog;
  readonly logger: GatewayLogger;
  readonly runtime: Pick<Runtime, 'now'>;
  readonly randomBytes: (size: number) => Buffer;
  readonly atomically: Atomically;
}

/**
 * POST /v1/escalations, GET /v1/escalations?idempotency_key=, GET and DELETE /v1/escalations/:id. Mounted behind the
 * signature check.
 */
export function escalationRoutes(deps: EscalationRouteDeps): Hono<{ Variables: SignedVariables }> {
  const app = new Hono<{ Variables: SignedVariables }>();
  const { config, audit } = deps;

  // An escalation as GET shows it: its stored outcome, or pending (with `pendingStatus`) and when the outbox
  // next tries it upstream (Retry-After; 1 while a call is under way), so a poller asks no sooner.
  const show = (c: Context, row: EscalationRow, pendingStatus: 200 | 202): Response => {
    if (row.response !== null) return c.json(storedResponse(row.response), 200);
    const seconds = deps.service.isDelivering(row.id)
      ? 1
      : Math.max(1, Math.ceil((row.next_attempt_at - deps.runtime.now()) / 1000));
    c.header('Retry-After', String(seconds));
    return c.json(pendingResponse(row.id), pendingStatus);
  };

  app.post('/', async (c) => {
    const rig = c.get('rig');
    const refuse = (
      status: 400 | 409 | 429,
      code: GatewayErrorCode,
      message: string,
      issues?: { path: string; message: string }[],
    ): Response => {
      audit.append('request_refused', rig.name, { method: 'POST', path: '/v1/escalations', code, reason: message });
      return errorJson(c, status, code, message, issues);
    };
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(c.get('body')).toString('utf8'));
    } catch (error) {
      return refuse(400, 'invalid_json', `body is not JSON: ${(error as Error).message}`);
    }
    const parsed = EscalationRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = toIssues(parsed.error);
      const first = issues[0];
      return refuse(
        400,
        'invalid_request',
        `invalid escalation request${first ? `: ${first.path}: ${first.message}` : ''}`,
        issues,
      );
    }
    const hint = parsed.data.model_hint;
    if (hint !== undefined && !config.models.allowed.includes(hint)) {
      return refuse(400, 'model_not_allowed', `model ${hint} is not allowed here`, [
        { path: 'model_hint', message: `allowed: ${config.models.allowed.join(', ')}` },
      ]);
    }
    const limited = await deps.rigLimiter.run(rig.rigId, async (): Promise<Accepted> => {
      const found = new Set<string>();
      // Redacted once, here: the outbox, ledger, audit and every upstream try see only this copy.
      const request = redactDeep(parsed.data, found);
      const requestJson = JSON.stringify(request);
      const key = request.idempotency_key ?? null;
      const id = `esc_${deps.randomBytes(12).toString('hex')}`;
      const model = hint ?? config.models.default;
      const maxTokens = Math.min(request.max_tokens, config.max_tokens_cap);
      const now = deps.runtime.now();
      // The outbox row, its audit record and the first call's reservation commit together, before anything goes
      // upstream: one commit, and a crash after it leaves the row for the outbox and the reservation to settle.
      // The key lookup is in the same synchronous transaction, so two sends of one key cannot both create a row.
      const accepted = deps.atomically(() => {
        const earlier = key === null ? undefined : deps.store.findByKey(rig.rigId, key);
        if (earlier !== undefined && earlier.request !== requestJson)
          return { kind: 'conflict', row: earlier } as const;
        // Refused because the gateway's own ledger failed: no call was made, so a resend is a new try, not a replay.
        if (earlier !== undefined && failedWithoutCall(earlier)) deps.store.releaseKey(earlier.id);
        else if (earlier !== undefined) {
          audit.append('request_accepted', rig.name, {
            escalation_id: earlier.id,
            task_id: request.task.task_id,
            resent: true,
          });
          return { kind: 'resent', row: earlier } as const;
        }
        const created = deps.store.create(
          {
            id,
            rigId: rig.rigId,
            taskId: request.task.task_id,
            request: requestJson,
            model,
            maxTokens,
            idempotencyKey: key,
          },
          now,
          now + config.outbox.lease_ms,
        );
        audit.append('request_accepted', rig.name, {
          escalation_id: id,
          task_id: request.task.task_id,
          reason: request.reason,
          model,
          max_tokens: maxTokens,
          redacted: [...found],
        });
        return { kind: 'new', row: created, begun: deps.service.begin(created, rig.name, request) } as const;
      });
      if (accepted.kind !== 'new') return accepted;
      const delivery = await deps.service.deliver(accepted.row, rig.name, accepted.begun);
      deps.service.apply(accepted.row, rig.name, delivery);
      return { kind: 'delivered', id, delivery };
    });
    if (!limited.ok) {
      c.header('Retry-After', String(limited.retryAfterS));
      return refuse(429, 'rate_limited', `rig rate limit: ${limited.message}`);
    }
    const outcome = limited.value;
    if (outcome.kind === 'conflict') {
      return refuse(
        409,
        'idempotency_conflict',
        `idempotency_key was used for escalation ${outcome.row.id} with a different request`,
        [{ path: 'idempotency_key', message: 'a new request needs a new key' }],
      );
    }
    // A resend gets the escalation the key already made, as GET /v1/escalations/:id would show it.
    if (outcome.kind === 'resent') return show(c, outcome.row, 202);
    const { id, delivery } = outcome;
    if (delivery.kind === 'deferred') {
      // Read again: the deferral has just set when the outbox tries next.
      const row = deps.store.get(id);
      return row === undefined ? c.json(pendingResponse(id), 202) : show(c, row, 202);
    }
    if (delivery.kind === 'refused') {
      return delivery.code === 'budget_exceeded'
        ? errorJson(c, 402, 'budget_exceeded', delivery.message)
        : errorJson(c, 503, 'ledger_unavailable', 'the cost ledger is unavailable; no call was made');
    }
    return c.json(delivery.response, 200);
  });

  // Which escalation a rig's idempotency key made: a rig whose reply was lost learns the id it needs to withdraw.
  app.get('/', (c) => {
    const rig = c.get('rig');
    const key = IdempotencyKeySchema.safeParse(c.req.query('idempotency_key'));
    if (!key.success) {
      audit.append('request_refused', rig.name, { method: 'GET', path: '/v1/escalations', code: 'invalid_query' });
      return errorJson(c, 400, 'invalid_query', 'give ?idempotency_key= (16-128 of A-Z a-z 0-9 _ . : -)', [
        { path: 'idempotency_key', message: 'required' },
      ]);
    }
    const row = deps.store.findByKey(rig.rigId, key.data);
    audit.append('request_accepted', rig.name, {
      method: 'GET',
      path: '/v1/escalations',
      escalation_id: row?.id,
      found: row !== undefined,
    });
    if (row === undefined)
      return errorJson(c, 404, 'not_found', 'no escalation under this idempotency key for this rig');
    return show(c, row, 200);
  });

  app.get('/:id', (c) => {
    const rig = c.get('rig');
    const id = c.req.param('id');
    const row = deps.store.get(id);
    audit.append('request_accepted', rig.name, {
      method: 'GET',
      path: '/v1/escalations/:id',
      escalation_id: id,
      found: row?.rig_id === rig.rigId,
    });
    // Another rig's escalation is reported as missing, not as forbidden: ids are not to be probed.
    if (row === undefined || row.rig_id !== rig.rigId)
      return errorJson(c, 404, 'not_found', `no escalation ${id} for this rig`);
    return show(c, row, 200);
  });

  // Withdraw an escalation still waiting in the outbox: a rig whose task was canceled stops it being paid for.
  app.delete('/:id', (c) => {
    const rig = c.get('rig');
    const id = c.req.param('id');
    const refuse = (status: 404 | 409, code: GatewayErrorCode, message: string): Response => {
      audit.append('request_refused', rig.name, {
        method: 'DELETE',
        path: '/v1/escalations/:id',
        escalation_id: id,
        code,
      });
      return errorJson(c, status, code, message);
    };
    const outcome = deps.atomically(() => {
      const row = deps.store.get(id);
      if (row === undefined || row.rig_id !== rig.rigId) return { kind: 'missing' } as const;
      if (row.response !== null) return { kind: 'settled', response: storedResponse(row.response) } as const;
      if (deps.service.isDelivering(id)) return { kind: 'delivering' } as const;
      const response: EscalationResponse = {
        ...pendingResponse(id),
        state: 'failed',
        error: { code: 'withdrawn', message: 'withdrawn by the rig before it was delivered' },
      };
      deps.store.withdraw(id, response, deps.runtime.now());
      audit.append('escalation_withdrawn', rig.name, {
        escalation_id: id,
        task_id: row.task_id,
        deliveries: row.deliveries,
      });
      return { kind: 'withdrawn', response } as const;
    });
    if (outcome.kind === 'missing') return refuse(404, 'not_found', `no escalation ${id} for this rig`);
    if (outcome.kind === 'withdrawn') return c.json(outcome.response, 200);
    if (outcome.kind === 'delivering') {
      c.header('Retry-After', '5');
      return refuse(
        409,
        'in_delivery',
        `escalation ${id} is being delivered now; if this try fails it can be withdrawn`,
      );
    }
    // Withdrawing twice is not an error: the second gets what the first did.
    if (outcome.response.error?.code === 'withdrawn') return c.json(outcome.response, 200);
    return refuse(409, 'already_settled', `escalation ${id} is already ${outcome.response.state}; its result stands`);
  });

  return app;
}

/** What the POST route's work ended in: a new escalation delivered (or not), or one its key already made. */
type Accepted =
  | { readonly kind: 'delivered'; readonly id: string; readonly delivery: Delivery }
  | { readonly kind: 'resent'; readonly row: EscalationRow }
  | { readonly kind: 'conflict'; readonly row: EscalationRow };

function pendingResponse(id: string): EscalationResponse {
  return { id, state: 'pending', proposed_by: 'gateway' };
}

function failedWithoutCall(row: EscalationRow): boolean {
  return (
    row.state === 'failed' && row.response !== null && storedResponse(row.response).error?.code === 'ledger_unavailable'
  );
}

function storedResponse(json: string): EscalationResponse {
  return EscalationResponseSchema.parse(JSON.parse(json));
}
