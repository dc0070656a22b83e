import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parsePlanText, type PlanParseResult } from '../../../rig/src/plan/parse-plan.js';
import type { PlanIssue } from '../../../rig/src/plan/plan-issue.js';

const issuesOf = (result: PlanParseResult): PlanIssue[] => {
  if (result.ok) throw new Error('expected the plan to be refused');
  return result.issues;
};
const only = (issues: PlanIssue[], code: string): PlanIssue => {
  const found = issues.filter((issue) => issue.code === code);
  expect(found, JSON.stringify(issues, null, 1)).toHaveLength(1);
  return found[0]!;
};

const PLAN_MD = `---
plan: talk-batch
description: Transcribe and summarize two talks.
allow_external_sensitive: false
defaults:
  priority: 4
  timeout_s: 600
---

# Talk batch

Two recorded talks from the March meetup. The transcripts feed both the summary and the index.

## transcribe_a

\`\`\`yaml
task_class: script
model: whisper-small.en
command: python scripts/transcribe.py --in talks/a.mp4 --out work/a.json
\`\`\`

## transcribe_b

\`\`\`yml
task_class: script
command: python scripts/transcribe.py --in talks/b.mp4 --out work/b.json
\`\`\`

## summarize

Uses the 7B model; the 14B is busy planning.

\`\`\`yaml
type: llm
model: qwen2.5:7b
depends_on:
  - transcribe_a
  - transcribe_b
prompt: Summarize work/a.json and work/b.json for the newsletter.
priority: 6
\`\`\`

## index

\`\`\`yaml
depends_on: [transcribe_a, transcribe_b]
command: python scripts/build_index.py --in work --out index/
\`\`\`

## Open questions

- Should the summary also go to the gateway? Not for now.

\`\`\`bash
ls work/
\`\`\`
`;

describe('parsePlanText: plan.md', () => {
  it('reads front matter, tasks from ## sections and keeps the prose as notes', () => {
    const result = parsePlanText(PLAN_MD, 'md', 'plans/talks.md');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { plan } = result.value;
    expect(plan.plan).toBe('talk-batch');
    expect(plan.description).toBe('Transcribe and summarize two talks.');
    expect(plan.allow_external_sensitive).toBe(false);
    expect(plan.defaults).toEqual({ priority: 4, timeout_s: 600 });
    expect(plan.tasks.map((task) => task.name)).toEqual(['transcribe_a', 'transcribe_b', 'summarize', 'index']);
    expect(plan.tasks[2]).toEqual({
      name: 'summarize',
      type: 'llm',
      model: 'qwen2.5:7b',
      depends_on: ['transcribe_a', 'transcribe_b'],
      prompt: 'Summarize work/a.json and work/b.json for the newsletter.',
      priority: 6,
    });
    expect(plan.notes).toContain('Two recorded talks from the March meetup.');
    expect(plan.notes).toContain('## summarize\n\nUses the 7B model');
    expect(plan.notes).toContain('## Open questions');
    expect(plan.notes).toContain('```bash\nls work/\n```');
    expect(plan.notes).not.toContain('## transcribe_a');
    expect(plan.notes).not.toContain('whisper-small.en');
    expect(result.value.lines?.get('tasks[2]')).toBe(29);
    expect(result.value.lines?.get('tasks[2].priority')).toBe(40);
    expect(result.value.lines?.get('defaults.timeout_s')).toBe(7);
  });

  it('names a plan without plan: after the file, or its first # heading when there is no file', () => {
    const body = '# Nightly cleanup\n\n## sweep\n\n```yaml\ncommand: rm -rf tmp/old\n```\n';
    const withFile = parsePlanText(body, 'md', '/plans/nightly.md');
    const withoutFile = parsePlanText(body, 'md');
    expect(withFile.ok && withFile.value.plan.plan).toBe('nightly');
    expect(withoutFile.ok && withoutFile.value.plan.plan).toBe('Nightly cleanup');
  });

  it('takes a task only from the first yaml block of a ## section and ignores headings inside fences', () => {
    const body = '## build\n\n```yaml\ncommand: make\n```\n\n```yaml\nnot: a task\n```\n\n```text\n## fake\n```\n';
    const result = parsePlanText(body, 'md', 'p.md');
    expect(result.ok && result.value.plan.tasks).toEqual([{ name: 'build', command: 'make' }]);
    expect(result.ok && result.value.plan.notes).toContain('not: a task');
  });

  it('refuses a plan.md without tasks as empty_plan', () => {
    const issue = only(issuesOf(parsePlanText('# Ideas\n\nNothing to run yet.\n', 'md', 'ideas.md')), 'empty_plan');
    expect(issue.path).toBe('tasks');
  });

  it('reports YAML errors inside a task block at their line in the file, naming the task', () => {
    const body = '## a\n\n```yaml\ncommand: echo a\n```\n\n## b\n\n```yaml\ncommand: [unclosed\n```\n';
    const issue = only(issuesOf(parsePlanText(body, 'md', 'p.md')), 'parse_error');
    expect(issue).toMatchObject({ task: 'b', index: 1, file: 'p.md', path: 'tasks[1]' });
    expect(issue.line).toBeGreaterThanOrEqual(10);
  });

  it('refuses an unclosed task block and an unclosed front matter', () => {
    const block = only(issuesOf(parsePlanText('## a\n\n```yaml\ncommand: echo\n', 'md')), 'parse_error');
    expect(block).toMatchObject({ line: 3, task: 'a' });
    const front = only(issuesOf(parsePlanText('---\nplan: x\n\n## a\n', 'md')), 'parse_error');
    expect(front.line).toBe(1);
  });

  it('refuses unknown front matter fields and a block name that contradicts the heading', () => {
    const body = '---\nplan: p\nowner: me\n---\n## a\n\n```yaml\nname: b\ncommand: echo\n```\n';
    const issues = issuesOf(parsePlanText(body, 'md'));
    expect(only(issues, 'unknown_field')).toMatchObject({ path: 'owner', line: 3 });
    expect(only(issues, 'invalid_field')).toMatchObject({ path: 'tasks[0].name', line: 8, task: 'a' });
  });

  it('maps schema errors in a block to their line: unknown field, bad priority, bad type', () => {
    const body = [
      '## a', //1
      '', //2
      '```yaml', //3
      'command: echo a', //4
      'priorty: 3', //5
      '```', //6
      '', //7
      '## b', //8
      '```yaml', //9
      'command: echo b', //10
      'priority: 11', //11
      'timeout_s: soon', //12
      '```', //13
    ].join('\n');
    const issues = issuesOf(parsePlanText(body, 'md', 'p.md'));
    expect(only(issues, 'unknown_field')).toMatchObject({ path: 'tasks[0].priorty', line: 5, task: 'a', index: 0 });
    expect(only(issues, 'unknown_field').message).toContain("did you mean 'priority'");
    expect(only(issues, 'priority_out_of_range')).toMatchObject({ path: 'tasks[1].priority', line: 11, task: 'b' });
    expect(only(issues, 'invalid_field')).toMatchObject({ path: 'tasks[1].timeout_s', line: 12 });
  });

  it('reports schema and graph issues together in one pass', () => {
    const body =
      '## a\n```yaml\ncommand: echo\ncolour: red\n```\n## b\n```yaml\ndepends_on: [aa]\ncommand: echo\n```\n';
    const issues = issuesOf(parsePlanText(body, 'md', 'p.md'));
    expect(issues.map((issue) => issue.code)).toEqual(['unknown_field', 'unknown_dependency']);
    expect(issues[1]).toMatchObject({ line: 8, task: 'b' });
  });
});

describe('parsePlanText: YAML', () => {
  it('parses a plan and maps every path to its line', async () => {
    const text = await readFile(new URL('../../../examples/plans/diamond.yaml', import.meta.url), 'utf8');
    const result = parsePlanText(text, 'yaml', 'diamond.yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.plan.tasks.map((task) => task.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(result.value.lines?.get('tasks[3]')).toBe(text.split('\n').indexOf('  - name: d') + 1);
    expect(result.value.lines?.get('tasks[3].depends_on[1]')).toBe(text.split('\n').indexOf('  - name: d') + 2);
  });

  it('refuses a syntax error with its line and a missing name with the task line', () => {
    const bad = issuesOf(parsePlanText('plan: p\ntasks:\n  - name: a\n    command: "open\n', 'yaml', 'p.yaml'));
    expect(bad[0]).toMatchObject({ code: 'parse_error', file: 'p.yaml' });
    expect(bad[0]?.line).toBeGreaterThanOrEqual(4);
    const missing = only(
      issuesOf(parsePlanText('plan: p\ntasks:\n  - name: a\n    command: x\n  - command: y\n', 'yaml')),
      'missing_field',
    );
    expect(missing).toMatchObject({ path: 'tasks[1].name', line: 5, index: 1 });
  });

  it('refuses duplicate keys and an empty task list', () => {
    expect(issuesOf(parsePlanText('plan: p\nplan: q\ntasks: []\n', 'yaml'))[0]?.code).toBe('parse_error');
    expect(only(issuesOf(parsePlanText('plan: p\ntasks: []\n', 'yaml')), 'empty_plan').line).toBe(2);
  });
});

describe('parsePlanText: JSON', () => {
  it('parses the shared video pipeline', async () => {
    const text = await readFile(new URL('../../../examples/plans/video-pipeline-12.json', import.meta.url), 'utf8');
    const result = parsePlanText(text, 'json');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.plan.plan).toBe('video-zim-12');
    expect(result.value.plan.tasks).toHaveLength(62);
  });

  it('refuses a syntax error at its line and maps schema errors to lines', () => {
    const syntax = issuesOf(parsePlanText('{\n "plan": "p",\n "tasks": [\n  {"name": "a",}\n ]\n}', 'json', 'p.json'));
    expect(syntax[0]).toMatchObject({ code: 'parse_error', line: 4, file: 'p.json' });
    const text =
      '{\n "plan": "p",\n "tasks": [\n  {\n   "name": "a",\n   "command": "x",\n   "priority": 0\n  }\n ]\n}';
    expect(only(issuesOf(parsePlanText(text, 'json')), 'priority_out_of_range')).toMatchObject({ line: 7, task: 'a' });
  });

  it('refuses a document that is not a plan object without throwing', () => {
    for (const text of ['[]', '42', 'null', '"plan"', '{}']) {
      expect(parsePlanText(text, 'json').ok).toBe(false);
    }
  });
});
