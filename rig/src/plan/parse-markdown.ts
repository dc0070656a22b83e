import { basename, extname } from 'node:path';
import { ok } from '@rigmind/protocol';
import { makeIssue, type IssueContext, type PlanIssue } from './plan-issue.js';
import { planFailure } from './plan-result.js';
import { parseYamlText, type RawParse } from './parse-text.js';

/** Plan-level fields a plan.md's front matter may hold; tasks come from the body, notes from its prose. */
const FRONT_MATTER_FIELDS = new Set(['plan', 'description', 'allow_external_sensitive', 'defaults']);

const H2 = /^ {0,3}##[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const H1 = /^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`]*)$/;
const YAML_INFO = /^(yaml|yml)(\s|$)/i;

interface Section {
  readonly name: string;
  readonly line: number;
  block?: { readonly open: number; close: number | undefined; readonly text: string[] };
  readonly prose: number[];
}

/**
 * Read a plan.md into plan data: YAML front matter for plan fields and `defaults`, a `## name` heading
 * followed (within its section) by a ```yaml block for each task, and every other line kept as `notes`.
 * Lines are 1-based lines of the whole file.
 */
export function parseMarkdownPlan(source: string, context: IssueContext = {}): RawParse {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const all = text.split(/\r?\n/);
  const issues: PlanIssue[] = [];
  const lines = new Map<string, number>();
  const plan: Record<string, unknown> = {};

  let bodyStart = 0;
  if (all[0]?.trim() === '---') {
    const close = all.findIndex((line, i) => i > 0 && (line.trim() === '---' || line.trim() === '...'));
    if (close === -1) {
      return planFailure('unparsable', [
        {
          ...makeIssue(context, {
            code: 'parse_error',
            path: '(root)',
            message: 'the front matter opened on line 1 is never closed with ---',
          }),
          line: 1,
        },
      ]);
    }
    bodyStart = close + 1;
    const front = parseYamlText(all.slice(1, close).join('\n'), context, 1);
    if (!front.ok) issues.push(...front.issues);
    else if (front.value.raw !== null && (typeof front.value.raw !== 'object' || Array.isArray(front.value.raw))) {
      issues.push({
        ...makeIssue(context, {
          code: 'invalid_field',
          path: '(root)',
          message: 'the front matter must be a mapping of plan fields',
        }),
        line: 2,
      });
    } else {
      for (const [key, value] of Object.entries((front.value.raw ?? {}) as Record<string, unknown>)) {
        if (FRONT_MATTER_FIELDS.has(key)) plan[key] = value;
        else {
          const message =
            `unknown front matter field '${key}' (allowed: ${[...FRONT_MATTER_FIELDS].join(', ')}; ` +
            `tasks are '## name' sections)`;
          issues.push(
            makeIssue({ ...context, lines: front.value.lines }, { code: 'unknown_field', path: key, message }),
          );
        }
      }
      for (const [path, line] of front.value.lines) if (path !== '(root)') lines.set(path, line);
    }
  }

  const { sections, prose, firstH1 } = scanBody(all, bodyStart);

  const tasks: Record<string, unknown>[] = [];
  for (const section of sections) {
    if (!section.block) continue;
    const index = tasks.length;
    const path = `tasks[${index}]`;
    lines.set(path, section.line);
    lines.set(`${path}.name`, section.line);
    const task: Record<string, unknown> = { name: section.name };
    tasks.push(task);
    if (section.block.close === undefined) {
      const message = 'the ```yaml block opened here is never closed';
      issues.push({
        ...makeIssue(context, { code: 'parse_error', path, message, task: section.name, index }),
        line: section.block.open,
      });
      continue;
    }
    const block = parseYamlText(section.block.text.join('\n'), context, section.block.open, path);
    if (!block.ok) {
      issues.push(...block.issues.map((issue) => ({ ...issue, path, task: section.name, index })));
      continue;
    }
    for (const [key, line] of block.value.lines) if (key !== path) lines.set(key, line);
    if (block.value.raw === null || block.value.raw === undefined) continue;
    if (typeof block.value.raw !== 'object' || Array.isArray(block.value.raw)) {
      const message = `the yaml block of task '${section.name}' must be a mapping of its fields`;
      issues.push({
        ...makeIssue(context, { code: 'invalid_field', path, message, task: section.name, index }),
        line: section.block.open,
      });
      continue;
    }
    for (const [key, value] of Object.entries(block.value.raw as Record<string, unknown>)) {
      if (key !== 'name') task[key] = value;
      else if (value !== section.name) {
        const message =
          `the heading names this task '${section.name}' but its block says name: ` + `${JSON.stringify(value)}`;
        issues.push(
          makeIssue(
            { ...context, lines },
            { code: 'invalid_field', path: `${path}.name`, message, task: section.name, index },
          ),
        );
      }
    }
  }

  if (plan['plan'] === undefined) {
    const fallback = context.file !== undefined ? basename(context.file, extname(context.file)) : firstH1;
    if (fallback !== undefined && fallback !== '') plan['plan'] = fallback.slice(0, 128);
  }
  const notes = prose
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (notes !== '') plan['notes'] = notes;
  plan['tasks'] = tasks;
  lines.set('tasks', sections.find((section) => section.block)?.line ?? bodyStart + 1);
  lines.set('(root)', 1);
  return ok({ raw: plan, lines, issues });
}

/** Split the body into `##` sections and prose; a section is a task when it holds a ```yaml block. */
function scanBody(all: readonly string[], bodyStart: number) {
  const sections: Section[] = [];
  let firstH1: string | undefined;
  let current: Section | undefined;
  let fence: { char: string; length: number; task: boolean } | undefined;
  // Prose is gathered in file order as line indexes; task headings and blocks are left out of the notes.
  const order: (number | Section)[] = [];
  const keep = (index: number): void => {
    if (current) current.prose.push(index);
    else order.push(index);
  };

  for (let i = bodyStart; i < all.length; i++) {
    const line = all[i] ?? '';
    if (fence) {
      const close = new RegExp(`^ {0,3}${fence.char === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
      if (close.test(line)) {
        if (fence.task && current?.block) current.block.close = i + 1;
        else keep(i);
        fence = undefined;
      } else if (fence.task && current?.block) current.block.text.push(line);
      else keep(i);
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open) {
      const marker = open[1] ?? '```';
      const isTask = current !== undefined && current.block === undefined && YAML_INFO.test((open[2] ?? '').trim());
      fence = { char: marker.charAt(0), length: marker.length, task: isTask };
      if (isTask && current) current.block = { open: i + 1, close: undefined, text: [] };
      else keep(i);
      continue;
    }
    const h2 = H2.exec(line);
    if (h2 && !line.trimStart().startsWith('###')) {
      current = { name: stripCode(h2[1] ?? ''), line: i + 1, prose: [] };
      sections.push(current);
      order.push(current);
      continue;
    }
    const h1 = H1.exec(line);
    if (h1) {
      firstH1 ??= stripCode(h1[1] ?? '');
      current = undefined;
    }
    keep(i);
  }

  const prose: string[] = [];
  for (const item of order) {
    if (typeof item === 'number') prose.push(all[item] ?? '');
    else {
      const hasProse = item.prose.some((index) => (all[index] ?? '').trim() !== '');
      if (!item.block || hasProse) prose.push(all[item.line - 1] ?? '');
      if (hasProse || !item.block) for (const index of item.prose) prose.push(all[index] ?? '');
    }
  }
  return { sections, prose, firstH1 };
}

function stripCode(heading: string): string {
  const trimmed = heading.trim();
  return trimmed.length > 2 && trimmed.startsWith('`') && trimmed.endsWith('`') ? trimmed.slice(1, -1) : trimmed;
}
