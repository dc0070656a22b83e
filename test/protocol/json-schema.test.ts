import { readFile } from 'node:fs/promises';
import { DISPATCH_RULE } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { buildSchemaFiles, dispatchTable, withDispatchTable } from '../../protocol/scripts/schema-files.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): Promise<string> => readFile(new URL(path, root), 'utf8');
const files = buildSchemaFiles();
const json = (path: string): Record<string, unknown> => JSON.parse(files.get(path)!) as Record<string, unknown>;

describe('exported JSON Schema', () => {
  it.each([...files.keys()])('%s is committed and current (run `npm run schemas` if not)', async (path) => {
    expect(await read(path)).toBe(files.get(path));
  });

  it('keeps the dispatch table in docs/protocol.md current', async () => {
    const doc = await read('docs/protocol.md');
    expect(withDispatchTable(doc)).toBe(doc);
    expect(doc).toContain(dispatchTable());
  });

  it('is deterministic', () => {
    expect([...buildSchemaFiles()]).toEqual([...files]);
  });

  it('describes the message union with one branch per kind, each strict', () => {
    const branches = json('docs/schema/message.schema.json')['oneOf'] as {
      properties: { kind: { const: string } };
      additionalProperties: boolean;
    }[];
    expect(branches.map((branch) => branch.properties.kind.const).sort()).toEqual(Object.keys(DISPATCH_RULE).sort());
    for (const branch of branches) expect(branch.additionalProperties).toBe(false);
  });

  it('describes inputs: a plan task needs only its name, and config fields with defaults are optional', () => {
    const plan = json('docs/schema/plan.schema.json') as {
      required: string[];
      additionalProperties: boolean;
      properties: { tasks: { items: { required: string[] } } };
    };
    expect(plan.required.sort()).toEqual(['plan', 'tasks']);
    expect(plan.additionalProperties).toBe(false);
    expect(plan.properties.tasks.items.required).toEqual(['name']);
    expect(json('docs/schema/rig-config.schema.json')['required']).toBeUndefined();
    expect(json('docs/schema/escalation-request.schema.json')['required']).toEqual(['task', 'reason', 'instructions']);
  });
});
