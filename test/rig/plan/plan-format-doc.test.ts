import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parsePlanText } from '../../../rig/src/plan/parse-plan.js';
import { PLAN_ISSUE_CODES } from '../../../rig/src/plan/plan-issue.js';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';

const doc = await readFile(new URL('../../../docs/plan-format.md', import.meta.url), 'utf8');

describe('docs/plan-format.md', () => {
  it.each(PLAN_ISSUE_CODES)('documents the issue code %s', (code) => {
    expect(doc).toContain(`| \`${code}\` |`);
  });

  it('shows a plan.md example and a YAML example that parse and resolve', () => {
    const markdown = /````markdown\n([\s\S]*?)````/.exec(doc)?.[1];
    const yaml = /## plan\.yaml\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    for (const [text, format] of [
      [markdown, 'md'],
      [yaml, 'yaml'],
    ] as const) {
      expect(text).toBeDefined();
      const parsed = parsePlanText(text ?? '', format, `example.${format}`);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      expect(resolvePlan(parsed.value.plan).ok).toBe(true);
    }
  });
});
