import { err, ok, type PlanTask, type Result } from '@rigmind/protocol';
import type { PlanResolver } from '../brain/brain-context.js';
import type { TaskRow } from '../store/rows.js';
import type { Store } from '../store/store.js';
import type { Transitions } from '../store/transitions.js';

/**
 * Why advised subtasks could not be taken: one assigns the brain's executor, they break the plan rules, or their
 * names clash with tasks the plan already has.
 */
export type SubtasksRefusedCode = 'brain_executor' | 'invalid_subtasks' | 'name_clash';

/** The subtasks inserted: the ids ready now, and their names under the parent. */
export interface InsertedSubtasks {
  readonly queued: string[];
  readonly names: string[];
}

/**
 * Validate subtasks proposed by the external tier exactly like a submitted plan (no resource class, no brain
 * executor: the brain's cards stay the brain's decision), rename them under their parent, insert them with
 * source `external`, and make the parent wait for them. Returns the ids of those ready now.
 */
export function insertAdvisedSubtasks(
  store: Store,
  transitions: Transitions,
  resolvePlan: PlanResolver,
  parent: TaskRow,
  proposed: readonly PlanTask[],
  source: string,
): Result<InsertedSubtasks, SubtasksRefusedCode> {
  if (proposed.some((task) => task.executor === 'brain'))
    return err('brain_executor', 'advice may not assign tasks to the brain executor');
  const prefix = `${parent.name}.`;
  const renamed: PlanTask[] = proposed.map((task) => ({
    ...task,
    name: `${prefix}${task.name}`,
    ...(task.depends_on !== undefined ? { depends_on: task.depends_on.map((dep) => `${prefix}${dep}`) } : {}),
    // An input read from a sibling's output names the sibling, renamed alike.
    ...(task.inputs !== undefined
      ? {
          inputs: Object.fromEntries(
            Object.entries(task.inputs).map(([name, input]) => [
              name,
              input.from === undefined ? input : { ...input, from: `${prefix}${input.from}` },
            ]),
          ),
        }
      : {}),
  }));
  const resolved = resolvePlan({ plan: `${parent.plan_id}-advice`, tasks: renamed });
  if (!resolved.ok) {
    const issues = resolved.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    return err('invalid_subtasks', `advice subtasks refused: ${issues}`);
  }
  const names = resolved.value.map((task) => task.name);
  const clash = store.takenNames(parent.plan_id, names);
  if (clash.length > 0) return err('name_clash', `advice subtasks clash with existing tasks: ${clash.join(', ')}`);
  return store.transaction(() => {
    const ids = new Map(names.map((name) => [name, `${parent.plan_id}.${name}`]));
    const firstSeq = (store.lastSeq(parent.plan_id) ?? 0) + 1;
    // Held ready rather than queued: the brain releases them one by one, each announced as released.
    const queued = store.insertTasks(parent.plan_id, resolved.value, ids, source, firstSeq, 'held');
    const dependsOn = [...(JSON.parse(parent.depends_on) as string[]), ...names];
    transitions.blockOnSubtasks(
      parent.task_id,
      [...ids.values()],
      dependsOn,
      `advised: waiting for ${names.length} subtask(s)`,
    );
    return ok({ queued, names });
  });
}
