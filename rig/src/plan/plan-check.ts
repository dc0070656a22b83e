import type { TaskDefaults } from '@rigmind/protocol';
import { makeIssue, type IssueContext, type PlanIssue } from './plan-issue.js';
import { type LooseTask, type ResolvedTask, resolveFields, resourceMessage } from './resolve-fields.js';
import { resolveIo } from './resolve-io.js';
import { closestName } from './similar-name.js';
import { topoOrder } from './topo-order.js';

/**
 * A plan checked as its tasks arrive: {@link add} does each task's own checks (names, fields, the class auto-fix),
 * so a plan sent in chunks is checked chunk by chunk, each in a turn of its own; {@link finish} checks the graph
 * (dependencies, cycles) once every task is in, and orders the tasks dependencies-first. Issues come out in the
 * order a whole-plan check would give them: duplicate names, then each task's (dependencies, then fields), then
 * cycles.
 */
export class PlanCheck {
  readonly #defaults: TaskDefaults | undefined;
  readonly #context: IssueContext;
  readonly #head: PlanIssue[] = [];
  readonly #duplicates: PlanIssue[] = [];
  /** Each task's own issues, by index: only tasks that have any. */
  readonly #fieldIssues = new Map<number, PlanIssue[]>();
  readonly #tasks: LooseTask[] = [];
  readonly #resolved: (ResolvedTask | undefined)[] = [];
  readonly #byName = new Map<string, number>();
  readonly #fixes: string[] = [];

  constructor(defaults: TaskDefaults | undefined, context: IssueContext = {}) {
    this.#defaults = defaults;
    this.#context = context;
    if (defaults?.task_class === 'resource')
      this.#head.push(this.#issue('resource_class', 'defaults.task_class', resourceMessage));
  }

  /** How many tasks were added so far. */
  get size(): number {
    return this.#tasks.length;
  }

  /** Check the next tasks of the plan, in plan order. */
  add(tasks: readonly LooseTask[]): void {
    for (const task of tasks) {
      const index = this.#tasks.length;
      this.#tasks.push(task);
      if (task.name !== undefined) {
        const first = this.#byName.get(task.name);
        if (first === undefined) this.#byName.set(task.name, index);
        else {
          const message = `duplicate task name '${task.name}': ${this.#where(first)} has it already`;
          this.#duplicates.push(this.#issue('duplicate_name', `tasks[${index}].name`, message, index));
        }
      }
      const own: PlanIssue[] = [];
      const report = (code: PlanIssue['code'], path: string, message: string, at?: number): void => {
        own.push(this.#issue(code, path, message, at));
      };
      this.#resolved.push(resolveFields(task, this.#defaults, index, report, this.#fixes));
      if (own.length > 0) this.#fieldIssues.set(index, own);
    }
  }

  /** Check the graph and order the tasks: every issue found, the resolved tasks, and the auto-fixes applied. */
  finish(): { issues: PlanIssue[]; tasks: ResolvedTask[]; fixes: string[] } {
    const planTasks = this.#tasks;
    const issues = [...this.#head, ...this.#duplicates];
    const deps: number[][] = [];
    let suggestions = 0;
    planTasks.forEach((task, index) => {
      const at = `tasks[${index}]`;
      const own: number[] = [];
      deps.push(own);
      (task.depends_on ?? []).forEach((dep, j) => {
        const target = this.#byName.get(dep);
        if (dep === task.name) {
          issues.push(
            this.#issue('self_dependency', `${at}.depends_on[${j}]`, `task '${dep}' depends on itself`, index),
          );
        } else if (target === undefined) {
          // Suggestions cost a scan of every name, so a plan with thousands of typos gets only the first few.
          const near = suggestions++ < 20 ? closestName(dep, this.#byName.keys()) : undefined;
          const message = `unknown dependency '${dep}'${near ? ` (did you mean '${near}'?)` : ''}`;
          issues.push(this.#issue('unknown_dependency', `${at}.depends_on[${j}]`, message, index));
        } else if (!own.includes(target)) own.push(target);
      });
      issues.push(...(this.#fieldIssues.get(index) ?? []));
    });
    // Inputs name other tasks, and an upstream's output may sit in a later chunk, so they are checked here.
    resolveIo(planTasks, this.#byName, this.#resolved, (code, path, message, index) => {
      issues.push(this.#issue(code, path, message, index));
    });

    const { order, cycles } = topoOrder(planTasks.length, deps);
    for (const cycle of cycles) {
      const first = cycle[0]!;
      const last = cycle[cycle.length - 1]!;
      // Named along depends_on, the way a reader follows the file: a -> b means a depends on b.
      const names = [first, ...cycle.slice(1).reverse(), first].map((i) => planTasks[i]?.name ?? `#${i + 1}`);
      const edge = (planTasks[first]?.depends_on ?? []).indexOf(planTasks[last]?.name ?? '');
      const message = `dependency cycle: ${names.join(' -> ')} (each task depends on the next)`;
      issues.push(this.#issue('cycle', `tasks[${first}].depends_on${edge >= 0 ? `[${edge}]` : ''}`, message, first));
    }
    const tasks: ResolvedTask[] = [];
    for (const index of order) {
      const task = this.#resolved[index];
      if (task) tasks.push(task);
    }
    return { issues, tasks, fixes: this.#fixes };
  }

  #issue(code: PlanIssue['code'], path: string, message: string, index?: number): PlanIssue {
    const task = index === undefined ? undefined : this.#tasks[index]?.name;
    return makeIssue(this.#context, { code, path, message, task, index });
  }

  #where(index: number): string {
    const line = this.#context.lines?.get(`tasks[${index}]`);
    return line === undefined ? `task #${index + 1}` : `task #${index + 1} (line ${line})`;
  }
}
