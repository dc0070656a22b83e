import { join } from 'node:path';
import {
  createMessage,
  type AttemptResult,
  type HeldTask,
  type Message,
  type MessageOf,
  type Task,
} from '@rigmind/protocol';
import { endedBeforeStart, type TaskRunner } from './task-runner.js';

/** How long a task runs before its start is reported on its own. */
const STARTED_DELAY_MS = 20;

interface Running {
  readonly attempt: number;
  readonly abort: AbortController;
}

interface Waiting {
  readonly task: Task;
  readonly attempt: number;
  readonly gpus?: readonly number[] | undefined;
}

/** What the slots need of their worker. */
export interface AttemptSlotsOptions {
  readonly workerId: string;
  /** How many attempts run at once. */
  readonly slots: number;
  /** The worker's own cards: a dispatch naming another is refused as a result. */
  readonly gpus: readonly number[];
  readonly taskLogDir: string;
  readonly runnerFor: (task: Task) => TaskRunner;
  /** Whether a waiting attempt may start now (the worker accepts work and is not stopping). */
  readonly mayStart: () => boolean;
  /** Send a message to the brain (a task's start). */
  readonly send: (message: Message) => void;
  /** An attempt ended: its result, to send and keep until the brain acknowledges it. */
  readonly onResult: (message: MessageOf<'task_result'>) => void;
}

/**
 * A worker's slots: the attempts it runs and the prefetched dispatches waiting for a free slot, in the order the
 * brain sent them. It starts, cancels and abandons attempts; the connection and the results' acknowledgement are
 * the worker's.
 */
export class AttemptSlots {
  readonly #running = new Map<string, Running>();
  readonly #waiting: Waiting[] = [];
  readonly #attempts = new Set<Promise<void>>();

  constructor(private readonly options: AttemptSlotsOptions) {}

  /** Attempts running or waiting for a slot. */
  held(): HeldTask[] {
    const held = [...this.#running].map(([task_id, run]) => ({ task_id, attempt: run.attempt }));
    for (const wait of this.#waiting) held.push({ task_id: wait.task.task_id, attempt: wait.attempt });
    return held;
  }

  /** A dispatch: run it now if a slot is free and the worker may start work, else wait (once) for a slot. */
  offer(task: Task, attempt: number, gpus: readonly number[] | undefined): void {
    if (this.options.mayStart() && this.#running.size < this.options.slots) {
      this.#start(task, attempt, gpus);
      return;
    }
    if (this.#waiting.some((wait) => wait.task.task_id === task.task_id && wait.attempt === attempt)) return;
    this.#waiting.push({ task, attempt, gpus });
  }

  /** The brain cancels this attempt: stop it if it runs, forget it if it waits. */
  cancel(taskId: string, attempt: number): void {
    const run = this.#running.get(taskId);
    if (run !== undefined && run.attempt === attempt) run.abort.abort();
    this.#dropWaiting(taskId, attempt);
  }

  /** The brain has given this task to another attempt (a welcome's `abandon`): stop whatever runs of it. */
  abandon(taskId: string, attempt: number): void {
    this.#running.get(taskId)?.abort.abort();
    this.#dropWaiting(taskId, attempt);
  }

  /** Start waiting attempts while slots are free and the worker may start work. */
  startNext(): void {
    while (this.options.mayStart() && this.#running.size < this.options.slots) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      this.#start(next.task, next.attempt, next.gpus);
    }
  }

  /** Drop what waits, stop what runs (killing its process group), and wait until every attempt has ended. */
  async stopAll(): Promise<void> {
    this.#waiting.length = 0;
    for (const run of this.#running.values()) run.abort.abort();
    await Promise.allSettled([...this.#attempts]);
  }

  #dropWaiting(taskId: string, attempt: number): void {
    const index = this.#waiting.findIndex((wait) => wait.task.task_id === taskId && wait.attempt === attempt);
    if (index !== -1) this.#waiting.splice(index, 1);
  }

  #start(task: Task, attempt: number, gpus?: readonly number[]): void {
    const current = this.#running.get(task.task_id);
    if (current !== undefined) {
      if (current.attempt === attempt) return;
      current.abort.abort();
    }
    const abort = new AbortController();
    this.#running.set(task.task_id, { attempt, abort });
    const base = join(this.options.taskLogDir, `${task.task_id}.${attempt}`);
    const mine = this.options.gpus;
    const foreign = gpus?.filter((gpu) => !mine.includes(gpu)) ?? [];
    const runner = foreign.length > 0 ? refuseCards(foreign, mine) : this.options.runnerFor(task);
    const sender = { role: 'worker' as const, id: this.options.workerId };
    let startedTimer: NodeJS.Timeout | undefined;
    const work = runner
      .run({
        task,
        attempt,
        stdoutPath: `${base}.stdout`,
        stderrPath: `${base}.stderr`,
        signal: abort.signal,
        ...(gpus !== undefined ? { gpus } : {}),
        onStarted: (pid) => {
          // A task that ends within STARTED_DELAY_MS is reported by its result alone (the brain records the start
          // from it): half the messages for the short tasks that dominate a busy queue, no delay for long ones.
          startedTimer = setTimeout(() => {
            startedTimer = undefined;
            this.options.send(createMessage('task_started', sender, { task_id: task.task_id, attempt, pid }));
          }, STARTED_DELAY_MS);
        },
      })
      .catch(
        (error: unknown): AttemptResult => ({
          outcome: 'error',
          return_code: null,
          signal: null,
          elapsed_seconds: 0,
          output_lines: 0,
          error_snippet: `worker error: ${(error as Error).message}`.slice(-200),
        }),
      )
      .then((result) => {
        if (startedTimer !== undefined) clearTimeout(startedTimer);
        if (this.#running.get(task.task_id)?.attempt === attempt) this.#running.delete(task.task_id);
        // The next prefetched task starts before the result goes out: no round trip between two tasks.
        this.startNext();
        this.options.onResult(createMessage('task_result', sender, { task_id: task.task_id, attempt, result }));
      })
      .finally(() => this.#attempts.delete(work));
    this.#attempts.add(work);
  }
}

/** A dispatch naming cards this worker does not have: refused as a result, so the brain places the task again. */
function refuseCards(foreign: readonly number[], mine: readonly number[]): TaskRunner {
  return {
    run: async (request) =>
      endedBeforeStart(
        request,
        `dispatch names gpu ${foreign.join(', ')}, not one of this worker's cards (${mine.join(', ') || 'none'})`,
      ),
  };
}
