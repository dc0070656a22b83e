import { describe, expect, it } from 'vitest';
import { formatPlanIssues } from '../../../rig/src/plan/format-issues.js';

describe('formatPlanIssues', () => {
  it('writes file:line, the task by name and 1-based number, the field relative to the task, and the message', () => {
    const lines = formatPlanIssues([
      {
        code: 'unknown_dependency',
        path: 'tasks[2].depends_on[0]',
        message: "unknown dependency 'segmnt'",
        task: 'embed',
        index: 2,
        line: 14,
        file: 'plan.md',
      },
      {
        code: 'missing_field',
        path: 'tasks[0].name',
        message: "'name' is required",
        index: 0,
        line: 3,
        file: 'plan.md',
      },
      { code: 'unknown_field', path: 'owner', message: "unknown field 'owner'", line: 2, file: 'plan.md' },
      { code: 'parse_error', path: '(root)', message: 'not valid JSON', file: 'plan.json' },
      { code: 'cycle', path: 'tasks[0].depends_on[1]', message: 'dependency cycle: a -> b -> a', task: 'a', index: 0 },
    ]);
    expect(lines).toEqual([
      "plan.md:14: task 'embed' (#3): depends_on[0]: unknown dependency 'segmnt'",
      "plan.md:3: task #1: name: 'name' is required",
      "plan.md:2: owner: unknown field 'owner'",
      'plan.json: not valid JSON',
      "task 'a' (#1): depends_on[1]: dependency cycle: a -> b -> a",
    ]);
  });

  it('uses the given file name over the one on the issue', () => {
    expect(
      formatPlanIssues(
        [{ code: 'empty_plan', path: 'tasks', message: 'no tasks', line: 1, file: '/abs/p.md' }],
        'p.md',
      ),
    ).toEqual(['p.md:1: tasks: no tasks']);
  });
});
