import type { Plan, PlanTask } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { parsePlanText } from '../../../rig/src/plan/parse-plan.js';
import type { PlanIssue } from '../../../rig/src/plan/plan-issue.js';
import { resolvePlan, type ResolveResult, type ResolvedTask } from '../../../rig/src/plan/resolve-plan.js';

const plan = (tasks: PlanTask[]): Plan => ({ plan: 'p', tasks });
const tasksOf = (result: ResolveResult): ResolvedTask[] => {
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.tasks;
};
const issuesOf = (result: ResolveResult): PlanIssue[] => {
  if (result.ok) throw new Error('expected the plan to be refused');
  return result.issues;
};
const make: PlanTask = { name: 'make', command: 'date > "$RIGMIND_OUTPUT"', output: 'out/made.txt', cwd: '/data' };

describe('resolvePlan: inputs and outputs', () => {
  it('resolves a from input to the upstream output, taken from its cwd, and keeps files, images and outputs', () => {
    const tasks = tasksOf(
      resolvePlan(
        plan([
          make,
          {
            name: 'ask',
            depends_on: ['make'],
            inputs: { made: { from: 'make' }, notes: { file: '/srv/notes.txt' } },
            images: ['frames/1.png'],
            confidence: true,
            prompt: 'Compare {{input.made}} with {{ input.notes }}.',
            output: 'answer.txt',
          },
        ]),
      ),
    );
    expect(tasks[0]).toMatchObject({ name: 'make', output: 'out/made.txt' });
    expect(tasks[1]).toMatchObject({
      name: 'ask',
      type: 'llm',
      inputs: { made: { file: '/data/out/made.txt', from: 'make' }, notes: { file: '/srv/notes.txt' } },
      images: ['frames/1.png'],
      confidence: true,
      output: 'answer.txt',
    });
  });

  it('refuses an input from a task not depended on, or without an output, naming the task and the input', () => {
    const issues = issuesOf(
      resolvePlan(
        plan([
          make,
          { name: 'quiet', command: 'true' },
          { name: 'reads', command: 'cat "$RIGMIND_INPUT_X"', inputs: { x: { from: 'make' } } },
          { name: 'reads2', depends_on: ['quiet'], command: 'true', inputs: { y: { from: 'quiet' } } },
        ]),
      ),
    );
    expect(issues).toMatchObject([
      { code: 'input_not_dependency', task: 'reads', path: 'tasks[2].inputs.x.from' },
      { code: 'input_without_output', task: 'reads2', path: 'tasks[3].inputs.y.from' },
    ]);
    expect(issues[0]?.message).toBe(
      "input 'x' reads the output of 'make', which this task does not depend on (add 'make' to depends_on)",
    );
    expect(issues[1]?.message).toContain("input 'y' reads the output of 'quiet', which declares no output file");
  });

  it('refuses an input with neither or both of file and from, and names whose variables collide', () => {
    const issues = issuesOf(
      resolvePlan(
        plan([
          make,
          {
            name: 't',
            depends_on: ['make'],
            command: 'true',
            inputs: { none: {}, both: { file: 'a', from: 'make' }, doc: { file: 'a' }, DOC: { file: 'b' } },
          },
        ]),
      ),
    );
    expect(issues.map((issue) => [issue.code, issue.path])).toEqual([
      ['invalid_input', 'tasks[1].inputs.none'],
      ['invalid_input', 'tasks[1].inputs.both'],
      ['invalid_input', 'tasks[1].inputs.DOC'],
    ]);
    expect(issues[2]?.message).toBe("inputs 'doc' and 'DOC' would share RIGMIND_INPUT_DOC");
  });

  it('refuses a template that inserts an undeclared input, with the line of the prompt', () => {
    const text = [
      'plan: t',
      'tasks:',
      '  - name: ask',
      '    inputs:',
      '      doc: { file: /srv/doc.txt }',
      '    prompt: "Summarize {{input.doc}} and {{input.dco}}"',
    ].join('\n');
    const parsed = parsePlanText(text, 'yaml', 'plan.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const issues = issuesOf(resolvePlan(parsed.value.plan, { lines: parsed.value.lines, file: 'plan.yaml' }));
    expect(issues).toEqual([
      {
        code: 'unknown_input',
        path: 'tasks[0].prompt',
        task: 'ask',
        index: 0,
        line: 6,
        file: 'plan.yaml',
        message: 'the prompt inserts {{input.dco}}, which is no input of the task (its inputs: doc)',
      },
    ]);
  });

  it('refuses images and confidence on a shell task, and leaves a task without io untouched', () => {
    const issues = issuesOf(resolvePlan(plan([{ name: 's', command: 'ls', images: ['a.png'], confidence: true }])));
    expect(issues.map((issue) => [issue.code, issue.path])).toEqual([
      ['type_mismatch', 'tasks[0].images'],
      ['type_mismatch', 'tasks[0].confidence'],
    ]);
    const [plain] = tasksOf(resolvePlan(plan([{ name: 'p', prompt: 'Say {{ something }} plain' }])));
    expect(Object.keys(plain ?? {})).not.toContain('inputs');
  });

  it('refuses an input name that cannot be a variable or a placeholder', () => {
    const parsed = parsePlanText(
      JSON.stringify({ plan: 'n', tasks: [{ name: 't', command: 'true', inputs: { '1st': { file: 'a' } } }] }),
      'json',
      'plan.json',
    );
    expect(parsed.ok).toBe(false);
  });
});
