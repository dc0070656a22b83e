import type { Plan, PlanTask } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { parsePlanText } from '../../../rig/src/plan/parse-plan.js';
import type { PlanIssue } from '../../../rig/src/plan/plan-issue.js';
import { resolvePlan, type ResolveResult, type ResolvedTask } from '../../../rig/src/plan/resolve-plan.js';

const plan = (tasks: PlanTask[], extra: Partial<Plan> = {}): Plan => ({ plan: 'p', tasks, ...extra });
const sh = (name: string, depends_on: string[] = [], more: Partial<PlanTask> = {}): PlanTask => ({
  name,
  command: `echo ${name}`,
  task_class: 'cpu',
  ...(depends_on.length > 0 ? { depends_on } : {}),
  ...more,
});
const tasksOf = (result: ResolveResult): ResolvedTask[] => {
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.tasks;
};
const issuesOf = (result: ResolveResult): PlanIssue[] => {
  if (result.ok) throw new Error('expected the plan to be refused');
  return result.issues;
};

describe('resolvePlan: defaults', () => {
  it('fills in the built-in defaults and leaves absent optional fields absent', () => {
    const [task] = tasksOf(resolvePlan(plan([{ name: 'a', command: 'ls', task_class: 'cpu' }])));
    expect(task).toStrictEqual({
      name: 'a',
      type: 'shell',
      command: 'ls',
      task_class: 'cpu',
      executor: 'worker',
      depends_on: [],
      priority: 5,
      max_retries: 3,
      timeout_s: 1800,
      requires_external: false,
      sensitive: false,
    });
  });

  it("applies plan defaults under each task's own fields, merging env", () => {
    const defaults = {
      priority: 3,
      timeout_s: 60,
      model: 'qwen2.5:7b',
      executor: 'brain',
      sensitive: true,
      env: { A: '1', B: '2' },
    } as const;
    const tasks = tasksOf(
      resolvePlan(
        plan(
          [
            sh('plain'),
            sh('own', [], { priority: 9, timeout_s: 5, executor: 'worker', sensitive: false, env: { B: 'x' } }),
          ],
          { defaults },
        ),
      ),
    );
    expect(tasks[0]).toMatchObject({
      priority: 3,
      timeout_s: 60,
      model: 'qwen2.5:7b',
      executor: 'brain',
      sensitive: true,
      env: { A: '1', B: '2' },
    });
    expect(tasks[1]).toMatchObject({
      priority: 9,
      timeout_s: 5,
      executor: 'worker',
      sensitive: false,
      env: { A: '1', B: 'x' },
    });
  });

  it('infers type from command or prompt without recording a fix', () => {
    const result = resolvePlan(
      plan([
        { name: 's', command: 'ls', task_class: 'cpu' },
        { name: 'l', prompt: 'hi', task_class: 'llm' },
      ]),
    );
    expect(tasksOf(result).map((task) => [task.type, task.fix_applied])).toEqual([
      ['shell', undefined],
      ['llm', undefined],
    ]);
    expect(result.ok && result.value.fixes).toEqual([]);
  });

  it('lets an llm task keep class llm when the plan default class is for shell tasks', () => {
    const tasks = tasksOf(
      resolvePlan(
        plan(
          [
            { name: 'a', command: 'ls' },
            { name: 'b', prompt: 'hi' },
          ],
          { defaults: { task_class: 'cpu' } },
        ),
      ),
    );
    expect(tasks.map((task) => task.task_class)).toEqual(['cpu', 'llm']);
    expect(tasks[0]?.fix_applied).toBeUndefined();
  });
});

describe('resolvePlan: the auto-fix', () => {
  const cases: [string, string, string][] = [
    ['python transcribe.py --model WHISPER-small', 'script', 'whisper'],
    ['python Transcriber.py', 'script', 'transcrib'],
    ['python make_embeddings.py', 'script', 'embed'],
    ['./bench --device CUDA:0', 'script', 'cuda'],
    ['python ocr.py --gpu 2', 'script', 'gpu'],
    ['ollama run qwen2.5:7b hello', 'llm', 'ollama'],
    ['python Generate_report.py', 'llm', 'generate'],
    ['./call-llm.sh', 'llm', 'llm'],
  ];
  it.each(cases)('infers the class of `%s` as %s from %s and records it', (command, taskClass, keyword) => {
    const result = resolvePlan(plan([{ name: 't', command }]));
    const [task] = tasksOf(result);
    expect(task?.task_class).toBe(taskClass);
    expect(task?.fix_applied).toBe(`task_class inferred as ${taskClass} from '${keyword}'`);
    expect(result.ok && result.value.fixes).toEqual([
      `task 't': task_class inferred as ${taskClass} from '${keyword}'`,
    ]);
  });

  it('falls back to cpu, and makes an llm-type task class llm', () => {
    const tasks = tasksOf(
      resolvePlan(
        plan([
          { name: 'c', command: 'tar czf out.tgz work/' },
          { name: 'l', prompt: 'run whisper?' },
        ]),
      ),
    );
    expect(tasks.map((task) => [task.task_class, task.fix_applied])).toEqual([
      ['cpu', 'task_class inferred as cpu (no GPU or LLM keyword)'],
      ['llm', 'task_class inferred as llm from type llm'],
    ]);
  });

  it('checks GPU-script words before LLM words, as the seed does', () => {
    const [task] = tasksOf(resolvePlan(plan([{ name: 't', command: 'ollama embed nomic-embed-text' }])));
    expect(task?.task_class).toBe('script');
  });

  it('applies the fix to the tasks of a plan.md that state no class', () => {
    const body = '## t\n```yaml\ncommand: python whisper_batch.py\n```\n';
    const parsed = parsePlanText(body, 'md', 'p.md');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(tasksOf(resolvePlan(parsed.value.plan))[0]?.fix_applied).toBe(
      "task_class inferred as script from 'whisper'",
    );
  });
});

describe('resolvePlan: refusals', () => {
  const refuse = (tasks: PlanTask[], extra: Partial<Plan> = {}): PlanIssue[] =>
    issuesOf(resolvePlan(plan(tasks, extra)));

  it('refuses an unknown dependency, naming task, index and path, with a suggestion', () => {
    const [issue, ...rest] = refuse([sh('segment'), sh('embed', ['segment', 'segmnt'])]);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      code: 'unknown_dependency',
      task: 'embed',
      index: 1,
      path: 'tasks[1].depends_on[1]',
    });
    expect(issue?.message).toBe("unknown dependency 'segmnt' (did you mean 'segment'?)");
  });

  it('refuses duplicate names, a self-dependency and a cycle, all at once', () => {
    const issues = refuse([sh('a', ['c']), sh('b', ['a']), sh('c', ['b']), sh('a'), sh('s', ['s'])]);
    expect(issues.map((issue) => issue.code).sort()).toEqual(['cycle', 'duplicate_name', 'self_dependency']);
    // a depends on c, c on b, b on a: the cycle is named along depends_on.
    expect(issues.find((issue) => issue.code === 'duplicate_name')).toMatchObject({ index: 3, path: 'tasks[3].name' });
    expect(issues.find((issue) => issue.code === 'self_dependency')).toMatchObject({
      task: 's',
      path: 'tasks[4].depends_on[0]',
    });
    const cycle = issues.find((issue) => issue.code === 'cycle');
    expect(cycle).toMatchObject({ task: 'a', index: 0, path: 'tasks[0].depends_on[0]' });
    expect(cycle?.message).toBe('dependency cycle: a -> c -> b -> a (each task depends on the next)');
  });

  it('reports each separate cycle', () => {
    const issues = refuse([
      sh('x', ['y']),
      sh('y', ['x']),
      sh('free'),
      sh('p', ['q']),
      sh('q', ['r']),
      sh('r', ['p']),
      sh('after', ['r']),
    ]);
    expect(issues.map((issue) => issue.message)).toEqual([
      expect.stringContaining('x -> y -> x'),
      expect.stringContaining('p -> q -> r -> p'),
    ]);
  });

  it('refuses a missing command, a missing prompt, and a task with neither', () => {
    const issues = refuse([{ name: 'a', type: 'shell' }, { name: 'b', type: 'llm', model: 'm' }, { name: 'c' }]);
    expect(issues.map((issue) => [issue.code, issue.path])).toEqual([
      ['missing_command', 'tasks[0].command'],
      ['missing_prompt', 'tasks[1].prompt'],
      ['missing_command', 'tasks[2].command'],
    ]);
  });

  it('refuses the resource class in a task and in defaults', () => {
    const issues = refuse([sh('load', [], { task_class: 'resource' })], { defaults: { task_class: 'resource' } });
    expect(issues.map((issue) => [issue.code, issue.path])).toEqual([
      ['resource_class', 'defaults.task_class'],
      ['resource_class', 'tasks[0].task_class'],
    ]);
    expect(issues[1]?.message).toContain("brain's own");
  });

  it('refuses type and class mismatches worth refusing, and allows class llm on a shell task', () => {
    const issues = refuse([
      { name: 'l', type: 'llm', prompt: 'p', task_class: 'script' },
      { name: 'both', command: 'ls', prompt: 'p' },
      { name: 'sp', type: 'shell', command: 'ls', prompt: 'p' },
      { name: 'lc', type: 'llm', command: 'ls', prompt: 'p' },
    ]);
    expect(issues.map((issue) => [issue.code, issue.path])).toEqual([
      ['class_mismatch', 'tasks[0].task_class'],
      ['ambiguous_type', 'tasks[1].type'],
      ['type_mismatch', 'tasks[2].prompt'],
      ['type_mismatch', 'tasks[3].command'],
    ]);
    expect(resolvePlan(plan([{ name: 'ok', type: 'shell', task_class: 'llm', command: 'ollama run qwen' }])).ok).toBe(
      true,
    );
  });

  it('puts line and file on issues when given a line map', () => {
    const body = '## a\n```yaml\ncommand: echo\n```\n\n## b\n```yaml\ncommand: echo\ndepends_on:\n  - a\n  - zz\n```\n';
    const parsed = parsePlanText(body, 'md', 'p.md');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const [issue] = issuesOf(resolvePlan(parsed.value.plan, { lines: parsed.value.lines, file: 'p.md' }));
    expect(issue).toMatchObject({ code: 'unknown_dependency', line: 11, file: 'p.md', task: 'b', index: 1 });
  });
});

describe('resolvePlan: order', () => {
  it('keeps file order when it is already a valid order, and de-duplicates dependencies', () => {
    const tasks = tasksOf(resolvePlan(plan([sh('a'), sh('b', ['a', 'a']), sh('c', ['a']), sh('d', ['b', 'c'])])));
    expect(tasks.map((task) => task.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(tasks[1]?.depends_on).toEqual(['a']);
  });

  it('moves a task after its dependencies and otherwise keeps file order', () => {
    const tasks = tasksOf(resolvePlan(plan([sh('report', ['build']), sh('lint'), sh('build'), sh('zip', ['build'])])));
    expect(tasks.map((task) => task.name)).toEqual(['lint', 'build', 'report', 'zip']);
  });

  it('resolves a 10,000-task plan of chains and fan-outs correctly', () => {
    const tasks: PlanTask[] = [];
    // 100 groups, listed last-first so the order must be computed: a root, a 40-task chain, 58 fan-out leaves and a
    // join.
    for (let g = 99; g >= 0; g--) {
      const id = (n: string): string => `g${g}_${n}`;
      const prev = g > 0 ? [`g${g - 1}_join`] : [];
      tasks.push(sh(id('join'), [id('chain39'), ...Array.from({ length: 58 }, (_, i) => id(`leaf${i}`))]));
      for (let i = 0; i < 58; i++) tasks.push(sh(id(`leaf${i}`), [id('root')]));
      for (let i = 39; i >= 0; i--) tasks.push(sh(id(`chain${i}`), [i === 0 ? id('root') : id(`chain${i - 1}`)]));
      tasks.push(sh(id('root'), prev));
    }
    expect(tasks).toHaveLength(10_000);
    const resolved = tasksOf(resolvePlan(plan(tasks)));
    expect(resolved).toHaveLength(10_000);
    const position = new Map(resolved.map((task, i) => [task.name, i]));
    expect(position.size).toBe(10_000);
    for (const task of resolved)
      for (const dep of task.depends_on) expect(position.get(dep)!).toBeLessThan(position.get(task.name)!);
    expect(resolved[0]?.name).toBe('g0_root');
    expect(resolved.at(-1)?.name).toBe('g99_join');
  });
});
