import type { RigEvent } from '@rigmind/protocol';
import type { Connection } from './connection.js';

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
  | 'task_escalated'
  | 'task_judging'
  | 'task_judged';

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

/**
 * The state machine's sink: announcements go to the brain's sink at once, except inside a transition's own
 * savepoint, where they wait until it is released and are then appended in order, still inside the caller's
 * transaction. Appended inside a savepoint, each event cost SQLite sub-journal work: a dispatch took 40% longer.
 */
export class Announcer implements TaskEvents {
  readonly #sink: TaskEvents;
  #held: EventInput[] | undefined;

  constructor(sink: TaskEvents) {
    this.#sink = sink;
  }

  /** Announce now, or once the transition's savepoint under way is released. */
  emit(input: EventInput): void {
    if (this.#held === undefined) this.#sink.emit(input);
    else this.#held.push(input);
  }

  /**
   * Run `work` as one transaction of `db`: its own (announcements inside it), or a savepoint in the caller's, whose
   * announcements follow its release. Rolled back, it announces nothing.
   */
  transaction<T>(db: Connection, work: () => T): T {
    if (!db.inTransaction || this.#held !== undefined) return db.transaction(work);
    const held: EventInput[] = [];
    this.#held = held;
    let result: T;
    try {
      result = db.transaction(work);
    } finally {
      this.#held = undefined;
    }
    for (const input of held) this.#sink.emit(input);
    return result;
  }
}
