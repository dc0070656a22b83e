import type { RigEvent } from '@rigmind/protocol';

/** An event before the bus stamps it; undefined fields are dropped. */
export type EventInput = { event_type: RigEvent['event_type'] } & {
  [K in Exclude<keyof RigEvent, 'timestamp' | 'seq' | 'event_type'>]?: RigEvent[K] | undefined;
};

/**
 * Where the state machine announces the status changes it makes (the brain's event bus, which records an event in
 * the transaction under way). An interface of the store's own, so that the store does not depend on the brain.
 */
export interface TaskEvents {
  emit(input: EventInput): void;
}

/** The events that announce a change of a task's status: only the state machine emits them. */
export type TaskStatusEvent =
  | 'task_dispatched'
  | 'task_started'
  | 'task_completed'
  | 'task_failed'
  | 'task_retry_scheduled'
  | 'task_requeued'
  | 'task_released'
  | 'task_canceled'
  | 'task_preempted'
  | 'task_escalated';

/** What an announcement says besides the task it is about. */
export type Said = Omit<EventInput, 'event_type' | 'plan_id' | 'task_id' | 'plan_task_id'>;

/** A task as its announcements name it. */
export interface Named {
  readonly plan_id: string;
  readonly task_id: string;
  readonly name: string;
}

/** Announce a task's change: its plan, id and name in the plan first, as every task event has them. */
export function announce(events: TaskEvents, type: TaskStatusEvent, task: Named, said?: Said): void {
  events.emit({ event_type: type, plan_id: task.plan_id, task_id: task.task_id, plan_task_id: task.name, ...said });
}
