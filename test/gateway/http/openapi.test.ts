import { readFileSync } from 'node:fs';
import { buildOpenApi, renderOpenApi } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

describe('OpenAPI document', () => {
  it('is committed up to date (regenerate with gateway/scripts/openapi.ts)', () => {
    const committed = readFileSync(new URL('../../../docs/gateway-openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(renderOpenApi());
  });

  it('refuses unknown fields in the request schema and covers every route', () => {
    const doc = buildOpenApi() as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { additionalProperties?: unknown }> };
    };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/v1/escalations',
      '/v1/escalations/{id}',
      '/v1/reports/audit',
      '/v1/reports/cost',
    ]);
    expect(doc.components.schemas['EscalationRequest']?.additionalProperties).toBe(false);
  });
});
