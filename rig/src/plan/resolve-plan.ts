import { ok, type Plan, type PlanTask, type Task, type TaskDefaults } from '@rigmind/protocol';
import { inferTaskClass } from './infer-class.js';
import { makeIssue, type IssueContext, type LineMap, type PlanIssue } from './plan-issue.js';
import { planFailure, type PlanResult } from './plan-result.js';
import { resolveIo } from './resolve-io.js';
import { closestName } from './similar-name.js';
import { topoOrder } from './topo-order.js';

/** A task as the brain queues it: every Task field except the ids, state and provenance the brain adds. */
export type ResolvedTask = Omit<Task, 'task_id' | 'plan_id' | 'status' | 'created_at' | 'source' | 'retry_count'>;

/** A plan's tasks in a dependencies-first order, and the auto-fixes applied to them. */
export interface ResolvedPlan {
  readonly tasks: ResolvedTask[];
  readonly fixes: string[];
}

/** The resolved tasks, or every issue found (`invalid_plan`). */
export type ResolveResult = PlanResult<ResolvedPlan, 'invalid_plan'>;

/** Where a plan came from, so issues can name lines; the brain resolves without either. */
export interface ResolveOptions {
  readonly lines?: LineMap | undefined;
  readonly file?: string | undefined;
}

/** A task whose fields may each be missing: a schema-valid PlanTask, or what survived of an invalid one. */
export type LooseTask = Partial<PlanTask>;

/** Built-in task defaults, applied under the plan's own `defaults`. */
export const TASK_DEFAULTS = { executor: 'worker', priority: 5, max_retries: 3, timeout_s: 1800 } as const;

/**
 * Apply defaults, infer missing types and classes (the seed's auto-fix), check names and the dependency
 * graph, and order the tasks dependencies-first (file order where free). Every issue is collected.
 * The brain calls this on every submission, so it is linear apart from a heap: 10,000 tasks take milliseconds.
 */
export function resolvePlan(plan: Plan, options: ResolveOptions = {}): ResolveResult {
  const { issues, tasks, fixes } = resolveTasks(plan.tasks, plan.defaults, options);
  return issues.length > 0 ? planFailure('invalid_plan', issues) : ok({ tasks, fixes });
}

/** The checks and resolution behind {@link resolvePlan}, also run on the salvage of a plan that failed its schema. */
export function resolveTasks(
  planTasks: readonly LooseTask[],
  defaults: TaskDefaults | undefined,
  context: IssueContext,
): { issues: PlanIssue[]; tasks: ResolvedTask[]; fixes: string[] } {
  const issues: PlanIssue[] = [];
  const fixes: string[] = [];
  const issue = (code: PlanIssue['code'], path: string, message: string, index?: number): void => {
    const task = index === undefined ? undefined : planTasks[index]?.name;
    issues.push(makeIssue(context, { code, path, message, task, index }));
  };
  const where = (index: number): string => {
    const line = context.lines?.get(`tasks[${index}]`);
    return line === undefined ? `task #${index + 1}` : `task #${index + 1} (line ${line})`;
  };
  if (defaults?.task_class === 'resource') issue('resource_class', 'defaults.task_class', resourceMessage);

  const byName = new Map<string, number>();
  planTasks.forEach((task, index) => {
    if (task.name === undefined) return;
    const first = byName.get(task.name);
    if (first === undefined) byName.set(task.name, index);
    else
      issue(
        'duplicate_name',
        `tasks[${index}].name`,
        `duplicate task name '${task.name}': ${where(first)} has it already`,
        index,
      );
  });

  const deps: number[][] = [];
  const resolved: (ResolvedTask | undefined)[] = [];
  let suggestions = 0;
  planTasks.forEach((task, index) => {
    const at = `tasks[${index}]`;
    const own: number[] = [];
    deps.push(own);
    (task.depends_on ?? []).forEach((dep, j) => {
      const target = byName.get(dep);
      if (dep === task.name)
        issue('self_dependency', `${at}.depends_on[${j}]`, `task '${dep}' depends on itself`, index);
      else if (target === undefined) {
        // Suggestions cost a scan of every name, so a plan with thousands of typos gets only the first few.
        const near = suggestions++ < 20 ? closestName(dep, byName.keys()) : undefined;
        issue(
          'unknown_dependency',
          `${at}.depends_on[${j}]`,
          `unknown dependency '${dep}'${near ? ` (did you mean '${near}'?)` : ''}`,
          index,
        );
      } else if (!own.includes(target)) own.push(target);
    });
    resolved.push(resolveFields(task, defaults, index, issue, fixes));
  });
  resolveIo(planTasks, byName, resolved, issue);

  const { order, cycles } = topoOrder(planTasks.length, deps);
  for (const cycle of cycles) {
    const first = cycle[0]!;
    const last = cycle[cycle.length - 1]!;
    // Named along depends_on, the way a reader follows the file: a -> b means a depends on b.
    const names = [first, ...cycle.slice(1).reverse(), first].map((index) => planTasks[index]?.name ?? `#${index + 1}`);
    const edge = (planTasks[first]?.depends_on ?? []).indexOf(planTasks[last]?.name ?? '');
    const message = `dependency cycle: ${names.join(' -> ')} (each task depends on the next)`;
    issue('cycle', `tasks[${first}].depends_on${edge >= 0 ? `[${edge}]` : ''}`, message, first);
  }
  const tasks: ResolvedTask[] = [];
  for (const index of order) {
    const task = resolved[index];
    if (task) tasks.push(task);
  }
  return { issues, tasks, fixes };
}

const resourceMessage =
  "task_class 'resource' is the brain's own (the load_llm/unload_llm work it inserts itself); a plan may use cpu, " +
  'script or llm';

type Report = (code: PlanIssue['code'], path: string, message: string, index?: number) => void;

/** One task with defaults applied and its type and class settled; undefined when it cannot be. */
function resolveFields(
  task: LooseTask,
  defaults: TaskDefaults | undefined,
  index: number,
  issue: Report,
  fixes: string[],
): ResolvedTask | undefined {
  const at = `tasks[${index}]`;
  // The task's own command or prompt says more about its type than a plan-wide default does.
  const implied =
    task.command !== undefined && task.prompt === undefined
      ? 'shell'
      : task.prompt !== undefined && task.command === undefined
        ? 'llm'
        : undefined;
  const type = task.type ?? implied ?? defaults?.type;
  if (type === undefined) {
    if (task.command !== undefined)
      issue(
        'ambiguous_type',
        `${at}.type`,
        'the task has both a command and a prompt: set type to shell or llm',
        index,
      );
    else
      issue(
        'missing_command',
        `${at}.command`,
        'a task needs a command (run in a shell) or a prompt (sent to an LLM)',
        index,
      );
  } else if (type === 'shell') {
    if (task.command === undefined) issue('missing_command', `${at}.command`, 'a shell task needs a command', index);
    if (task.prompt !== undefined)
      issue(
        'type_mismatch',
        `${at}.prompt`,
        'a shell task runs its command; this prompt would be ignored (did you mean type: llm?)',
        index,
      );
  } else {
    if (task.prompt === undefined) issue('missing_prompt', `${at}.prompt`, 'an llm task needs a prompt', index);
    if (task.command !== undefined)
      issue(
        'type_mismatch',
        `${at}.command`,
        'an llm task sends its prompt; this command would be ignored (did you mean type: shell?)',
        index,
      );
  }

  let taskClass = task.task_class;
  let fix: string | undefined;
  if (taskClass === 'resource') issue('resource_class', `${at}.task_class`, resourceMessage, index);
  else if (taskClass !== undefined && type === 'llm' && taskClass !== 'llm') {
    issue(
      'class_mismatch',
      `${at}.task_class`,
      `an llm task needs the LLM loaded, so its class must be llm, not ${taskClass}`,
      index,
    );
  }
  if (
    taskClass === undefined &&
    defaults?.task_class !== undefined &&
    (type !== 'llm' || defaults.task_class === 'llm')
  ) {
    taskClass = defaults.task_class;
  }
  if (taskClass === undefined) {
    const inferred = inferTaskClass(type, type === 'llm' ? task.prompt : task.command);
    taskClass = inferred.taskClass;
    fix = inferred.fix;
  }
  // A task with other issues still resolves here; resolvePlan drops everything once any issue is found.
  if (type === undefined || task.name === undefined) return undefined;
  if (fix !== undefined) fixes.push(`task '${task.name}': ${fix}`);

  const pick = <K extends keyof TaskDefaults>(key: K): TaskDefaults[K] => task[key] ?? defaults?.[key];
  const env = defaults?.env || task.env ? { ...defaults?.env, ...task.env } : undefined;
  const optional = {
    command: task.command,
    prompt: task.prompt,
    model: pick('model'),
    estimate_s: pick('estimate_s'),
    vram_mb: pick('vram_mb'),
    fix_applied: fix,
    cwd: pick('cwd'),
    env,
  };
  const resolved: ResolvedTask = {
    name: task.name,
    type,
    task_class: taskClass,
    executor: pick('executor') ?? TASK_DEFAULTS.executor,
    depends_on: [...new Set(task.depends_on ?? [])],
    priority: pick('priority') ?? TASK_DEFAULTS.priority,
    max_retries: pick('max_retries') ?? TASK_DEFAULTS.max_retries,
    timeout_s: pick('timeout_s') ?? TASK_DEFAULTS.timeout_s,
    requires_external: pick('requires_external') ?? false,
    sensitive: pick('sensitive') ?? false,
  };
  // exactOptionalPropertyTypes: absent fields stay absent rather than becoming `undefined`.
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  return resolved;
}
