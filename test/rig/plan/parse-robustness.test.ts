import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPlanIssues } from '../../../rig/src/plan/format-issues.js';
import { parsePlanText, type PlanFormat } from '../../../rig/src/plan/parse-plan.js';
import { PLAN_ISSUE_CODES } from '../../../rig/src/plan/plan-issue.js';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';

const formats: readonly PlanFormat[] = ['json', 'yaml', 'md'];

/** Parse and, when that passes, resolve; every issue must carry a known code and format without throwing. */
const check = (text: string, format: PlanFormat): void => {
  const parsed = parsePlanText(text, format, `p.${format}`);
  const resolved = parsed.ok ? resolvePlan(parsed.value.plan, { lines: parsed.value.lines }) : undefined;
  const issues = !parsed.ok ? parsed.issues : resolved && !resolved.ok ? resolved.issues : [];
  for (const issue of issues) {
    expect(PLAN_ISSUE_CODES).toContain(issue.code);
    if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
  }
  expect(formatPlanIssues(issues)).toHaveLength(issues.length);
};

// Fragments that steer random text toward the parsers' interesting paths.
const fragment = fc.constantFrom(
  '---\n',
  '## a\n',
  '## b\n',
  '# t\n',
  '```yaml\n',
  '```\n',
  '~~~\n',
  'command: x\n',
  'depends_on: [a, b]\n',
  'prompt: p\n',
  'task_class: resource\n',
  'tasks:\n',
  '  - name: a\n',
  '{',
  '}',
  '[',
  ']',
  '"name": "a",',
  ': ',
  '\t',
  '\uFEFF',
  '*a',
  '&a ',
);

describe('plan parsing never throws', () => {
  it.each(formats)('on arbitrary text as %s', (format) => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => check(text, format)),
      { numRuns: 300 },
    );
  });

  it.each(formats)('on text stitched from plan-like fragments as %s', (format) => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fragment, fc.string({ maxLength: 8 })), { maxLength: 40 }), (parts) =>
        check(parts.join(''), format),
      ),
      { numRuns: 500 },
    );
  });

  it('on arbitrary JSON values, in and out of a plan shape', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (value, task) => {
        check(JSON.stringify(value), 'json');
        check(JSON.stringify({ plan: 'p', tasks: [task, { name: 'a', command: 'x', depends_on: value }] }), 'json');
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a JSON file that starts with a byte-order mark', () => {
    expect(parsePlanText('\uFEFF{"plan":"p","tasks":[{"name":"a","command":"x"}]}', 'json').ok).toBe(true);
  });
});
