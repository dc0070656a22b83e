import type { PlanTask, Task, TaskDefaults } from '@rigmind/protocol';
import { inferTaskClass } from './infer-class.js';
import type { PlanIssue } from './plan-issue.js';

/** A task as the brain queues it: every Task field except the ids, state and provenance the brain adds. */
export type ResolvedTask = Omit<Task, 'task_id' | 'plan_id' | 'status' | 'created_at' | 'source' | 'retry_count'>;

/** A task whose fields may each be missing: a schema-valid PlanTask, or what survived of an invalid one. */
export type LooseTask = Partial<PlanTask>;

/** Built-in task defaults, applied under the plan's own `defaults`. */
export const TASK_DEFAULTS = { executor: 'worker', priority: 5, max_retries: 3, timeout_s: 1800 } as const;

/** Why a plan may not use the class `resource`. */
export const resourceMessage =
  "task_class 'resource' is the brain's own (the load_llm/unload_llm work it inserts itself); a plan may use cpu, " +
  'script or llm';

/** Where a check reports an issue it found in task `index`. */
export type Report = (code: PlanIssue['code'], path: string, message: string, index?: number) => void;

/** One task with defaults applied and its type and class settled; undefined when it cannot be. */
export function resolveFields(
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
