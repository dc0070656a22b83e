import { describe, expect, it } from 'vitest';
import { jsonLineMap } from '../../../rig/src/plan/line-maps.js';
import { lineOf } from '../../../rig/src/plan/plan-issue.js';

describe('jsonLineMap', () => {
  it('maps every value of a JSON document to its line, escapes and nesting included', () => {
    const text =
      '{\n  "plan": "a \\"quoted\\" name",\n  "tasks": [\n    { "name": "x", "env": { "A}": "1" } },\n    {\n      ' +
      '"name": "y",\n      "depends_on": ["x"]\n    }\n  ]\n}\n';
    const lines = jsonLineMap(text);
    expect(lines.get('(root)')).toBe(1);
    expect(lines.get('plan')).toBe(2);
    expect(lines.get('tasks[0].name')).toBe(4);
    expect(lines.get('tasks[0].env.A}')).toBe(4);
    expect(lines.get('tasks[1]')).toBe(5);
    expect(lines.get('tasks[1].depends_on[0]')).toBe(7);
  });

  it('falls back to the nearest mapped ancestor for a path that is absent', () => {
    const lines = jsonLineMap('{\n "tasks": [\n  {\n   "name": "x"\n  }\n ]\n}');
    expect(lineOf(lines, 'tasks[0].command')).toBe(3);
    expect(lineOf(lines, 'defaults.priority')).toBe(1);
  });
});
