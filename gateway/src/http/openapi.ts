import { SIGNATURE_HEADERS, AdviceSchema, EscalationRequestSchema, EscalationResponseSchema } from '@rigmind/protocol';
import { z } from 'zod';
import {
  AuditReportQuerySchema,
  AuditReportSchema,
  CostReportQuerySchema,
  CostReportSchema,
} from '../reports/report-schemas.js';
import { ErrorBodySchema } from './error-body.js';

type Json = Record<string, unknown>;

function schema(type: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

function queryParameters(shape: Record<string, z.ZodType>): Json[] {
  return Object.entries(shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: schema(field, 'input'),
  }));
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string): Json => ({ 'application/json': { schema: ref(name) } });
const error = (description: string): Json => ({ description, content: json('ErrorBody') });

const signed = Object.values(SIGNATURE_HEADERS).map((name) => ({ [name]: [] }));

/** The gateway's OpenAPI 3.1 document, generated from the same zod schemas that validate requests and responses. */
export function buildOpenApi(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'rigmind gateway',
      version: '0.1.0',
      description:
        "The rig's only egress to Claude. Every /v1 request is signed with HMAC-SHA256 (see docs/gateway.md): the " +
        'five x-rigmind-* headers are all required.',
    },
    components: {
      securitySchemes: Object.fromEntries(
        Object.values(SIGNATURE_HEADERS).map((name) => [name, { type: 'apiKey', in: 'header', name }]),
      ),
      schemas: {
        EscalationRequest: schema(EscalationRequestSchema, 'input'),
        EscalationResponse: schema(EscalationResponseSchema, 'output'),
        Advice: schema(AdviceSchema, 'output'),
        ErrorBody: schema(ErrorBodySchema, 'output'),
        CostReport: schema(CostReportSchema, 'output'),
        AuditReport: schema(AuditReportSchema, 'output'),
      },
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness only; no authentication, no detail',
          responses: {
            '200': {
              description: 'up',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] },
                },
              },
            },
          },
        },
      },
      '/v1/escalations': {
        get: {
          summary:
            'The escalation a rig made under an idempotency key (for a rig whose reply was lost and needs its id)',
          security: [Object.assign({}, ...signed)],
          parameters: [
            {
              name: 'idempotency_key',
              in: 'query',
              required: true,
              schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{16,128}$' },
            },
          ],
          responses: {
            '200': { description: 'the escalation', content: json('EscalationResponse') },
            '400': error('invalid_query'),
            '401': error('not signed'),
            '404': error('no escalation under this key for this rig'),
          },
        },
        post: {
          summary: 'Escalate a task to Claude for advice',
          security: [Object.assign({}, ...signed)],
          requestBody: { required: true, content: json('EscalationRequest') },
          responses: {
            '200': {
              description:
                'answered (state completed) or finally failed (state failed); a resend under an idempotency_key ' +
                'already used gets that escalation as GET shows it',
              content: json('EscalationResponse'),
            },
            '202': {
              description:
                'accepted; upstream unreachable, kept in the outbox (state pending), or a resend of an escalation ' +
                'still pending: poll GET /v1/escalations/{id}',
              content: json('EscalationResponse'),
            },
            '400': error('invalid_json, invalid_request or model_not_allowed, with issues naming each path'),
            '401': error(
              'unsigned, malformed_signature, stale_request, unknown_rig, body_mismatch, bad_signature or ' +
                'replayed_request',
            ),
            '402': error('budget_exceeded: a daily or monthly cap would be passed'),
            '409': error('idempotency_conflict: the idempotency_key was used with a different request'),
            '413': error('body_too_large'),
            '429': error('rate_limited: over the rig limit; see Retry-After'),
            '503': error('ledger_unavailable: the gateway fails closed and made no call'),
          },
        },
      },
      '/v1/escalations/{id}': {
        get: {
          summary: "An escalation's state and, once delivered, its advice",
          security: [Object.assign({}, ...signed)],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'the escalation', content: json('EscalationResponse') },
            '401': error('not signed'),
            '404': error('no such escalation for this rig'),
          },
        },
        delete: {
          summary: 'Withdraw an escalation still waiting in the outbox, so it is never delivered (or paid for)',
          security: [Object.assign({}, ...signed)],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: "withdrawn (now, or before): state failed, error code 'withdrawn'",
              content: json('EscalationResponse'),
            },
            '401': error('not signed'),
            '404': error('no such escalation for this rig'),
            '409': error(
              'already_settled (its result stands), or in_delivery (a call is under way; try again after Retry-After)',
            ),
          },
        },
      },
      '/v1/reports/cost': {
        get: {
          summary: "Cost of the signing rig's upstream calls from the ledger, grouped by day, model, rig or task",
          security: [Object.assign({}, ...signed)],
          parameters: queryParameters(CostReportQuerySchema.shape),
          responses: {
            '200': {
              description: 'the report',
              content: { ...json('CostReport'), 'text/csv': { schema: { type: 'string' } } },
            },
            '400': error('invalid_query'),
            '401': error('not signed'),
          },
        },
      },
      '/v1/reports/audit': {
        get: {
          summary: "The signing rig's audit records and whether the hash chain verifies",
          security: [Object.assign({}, ...signed)],
          parameters: queryParameters(AuditReportQuerySchema.shape),
          responses: {
            '200': { description: 'the report', content: json('AuditReport') },
            '400': error('invalid_query'),
            '401': error('not signed'),
          },
        },
      },
    },
  };
}

/** The document as it is committed: pretty JSON with a final newline. */
export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}
