import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  createMessage,
  RECONNECT_CAP_HEARTBEATS,
  systemRuntime,
  type AttemptResult,
  type DispatchMark,
  type HeldTask,
  type Message,
  type MessageOf,
  type RigEvent,
  type Runtime,
  type Task,
  type WorkerInfo,
} from '@rigmind/protocol';
import { DealerSocket } from '../transport/zmq.js';
import { HeldCards } from './held-cards.js';
import { endedBeforeStart, type TaskRunner } from './task-runner.js';

/** Everything a worker needs: who it is, where the brain is, and how to run each kind of task. */
export interface WorkerOptions {
  readonly info: WorkerInfo;
  readonly endpoint: string;
  readonly taskLogDir: string;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  /** Heartbeat interval until the brain's welcome says otherwise (ms). */
  readonly heartbeatMs: number;
  readonly liveness: number;
  /** Picks the runner for a task. */
  readonly runnerFor: (task: Task) => TaskRunner;
  /** The clock for liveness and backoff; the system's unless a test drives it. */
  readonly runtime?: Pick<Runtime, 'now'>;
}

/** Card events a worker keeps while not registered; beyond this the oldest go (a brain away for minutes). */
const MAX_HELD_EVENTS = 1_000;

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

/**
 * A worker: a DEALER to the brain that registers, heartbeats, runs what it is dispatched and reports results until
 * they are acknowledged. It follows the ZeroMQ guide's Paranoid Pirate pattern: if the brain is silent for
 * `liveness` heartbeats, it drops the socket, waits with backoff, reconnects and registers again, reporting the
 * attempts it still holds so that none runs twice.
 */
export class Worker {
  #socket: DealerSocket | undefined;
  #heartbeatMs: number;
  #liveness: number;
  #lastHeard = 0;
  #reconnectDelay: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #accepting = true;
  readonly #running = new Map<string, Running>();
  /** Prefetched dispatches waiting for a free slot, in the order the brain sent them. */
  readonly #waiting: Waiting[] = [];
  /** Results not yet acknowledged, by the msg_id that carried them. */
  readonly #unacked = new Map<string, MessageOf<'task_result'>>();
  readonly #loops = new Set<Promise<void>>();
  readonly #attempts = new Set<Promise<void>>();
  /** The last dispatch received, named in the next register so the brain keeps what is still on its way. */
  #seen: DispatchMark | undefined;
  /** The register awaiting its welcome, and when it left: one registration in flight at a time. */
  #registering: { msgId: string; at: number } | undefined;
  /** Whether the brain welcomed this connection: until it does, it drops a worker_event as from a stranger. */
  #welcomed = false;
  /** Card events reported before the welcome, sent in order once it comes. */
  readonly #heldEvents: Message[] = [];
  /** Cards held for heat, from the guard's reports: every register says which (held-cards.ts). */
  readonly #hotCards = new HeldCards();

  constructor(private readonly options: WorkerOptions) {
    this.#heartbeatMs = options.heartbeatMs;
    this.#liveness = options.liveness;
    this.#reconnectDelay = options.heartbeatMs;
  }

  private get sender() {
    return { role: 'worker' as const, id: this.options.info.id };
  }

  /** Attempts currently running. */
  held(): HeldTask[] {
    const held = [...this.#running].map(([task_id, run]) => ({ task_id, attempt: run.attempt }));
    for (const wait of this.#waiting) held.push({ task_id: wait.task.task_id, attempt: wait.attempt });
    for (const result of this.#unacked.values()) held.push({ task_id: result.task_id, attempt: result.attempt });
    return held;
  }

  /** Report what happened on a card (state, load, heat) to the brain's event stream. */
  report(event: RigEvent): void {
    this.#hotCards.note(event);
    const message = createMessage('worker_event', this.sender, {
      event: { ...event, worker_id: this.options.info.id },
    });
    if (this.#welcomed) {
      this.#send(message);
      return;
    }
    // Before the welcome (first start, a reconnect, a brain restart) the brain answers a worker_event with a
    // reregister and drops it: the first gpu_state of a plan was lost that way on a loaded machine. Held, it goes
    // after the welcome, in order. Bounded: a card changes state a few times a task, thermal events once a change.
    if (this.#heldEvents.length >= MAX_HELD_EVENTS) this.#heldEvents.shift();
    this.#heldEvents.push(message);
  }

  /** Take new work or not (the thermal guard): running attempts go on; dispatched ones wait on the worker. */
  setAccepting(accepting: boolean): void {
    if (accepting === this.#accepting) return;
    this.#accepting = accepting;
    this.#send(createMessage('heartbeat', this.sender, { running: this.held(), accepting }));
    if (accepting) this.#startNext();
  }

  /** Connect and register. */
  start(): void {
    this.#connect();
    this.#timer = setInterval(() => this.#tick(), this.#heartbeatMs);
  }

  /** Leave cleanly: say goodbye, stop every attempt (killing its process group), close. */
  async stop(reason = 'shutting down'): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#waiting.length = 0;
    for (const run of this.#running.values()) run.abort.abort();
    await Promise.allSettled([...this.#attempts]);
    this.#send(createMessage('goodbye', this.sender, { reason }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.#socket?.close();
    await Promise.allSettled([...this.#loops]);
  }

  #now(): number {
    return (this.options.runtime ?? systemRuntime).now();
  }

  #connect(): void {
    const socket = new DealerSocket({ maxMessageBytes: this.options.maxFrameBytes }, (error) =>
      this.options.logger.warn({ err: error }, 'send failed'),
    );
    socket.connect(this.options.endpoint);
    this.#socket = socket;
    this.#welcomed = false;
    this.#lastHeard = this.#now();
    const loop = this.#receive(socket).finally(() => this.#loops.delete(loop));
    this.#loops.add(loop);
    this.#register();
  }

  #register(): void {
    const seen = this.#seen !== undefined ? { seen: this.#seen } : {};
    const running = this.held();
    // Whether it takes work goes with the register: a brain that forgot this worker (reaped it, restarted) would
    // otherwise count it accepting until the next heartbeat, and lease work to a card held for heat. Which cards
    // are held goes too: the guard says `hot` once, so that brain would never learn it and status would not show it.
    const message = createMessage('register', this.sender, {
      worker: this.options.info,
      running,
      accepting: this.#accepting,
      held: this.#hotCards.list(),
      ...seen,
    });
    this.#registering = { msgId: message.msg_id, at: this.#now() };
    this.#send(message);
  }

  /**
   * Whether a `reregister` asks for a registration not yet sent. After a brain restart every frame the worker
   * queued meanwhile is answered with one; the first is answered, and the rest, which came before its welcome, are
   * about the same connection. A register unanswered for the liveness window was lost: then it is sent again.
   */
  #mustRegister(): boolean {
    return this.#registering === undefined || this.#now() - this.#registering.at > this.#heartbeatMs * this.#liveness;
  }

  #send(message: Message): void {
    this.#socket?.send(message);
  }

  async #receive(socket: DealerSocket): Promise<void> {
    for await (const parsed of socket.messages({ from: ['brain'], maxBytes: this.options.maxFrameBytes })) {
      if (socket !== this.#socket) break;
      if (!parsed.ok) {
        this.options.logger.warn({ code: parsed.error.code }, `refused frame from brain: ${parsed.error.message}`);
        continue;
      }
      this.#lastHeard = this.#now();
      this.#reconnectDelay = this.#heartbeatMs;
      try {
        this.#handle(parsed.value);
      } catch (error) {
        this.options.logger.error({ err: error }, 'handler failed');
      }
    }
  }

  #handle(message: Message): void {
    switch (message.kind) {
      case 'welcome':
        if (message.re !== undefined && message.re === this.#registering?.msgId) this.#registering = undefined;
        this.#heartbeatMs = message.heartbeat_ms;
        this.#liveness = message.liveness;
        for (const task of message.abandon) {
          this.#running.get(task.task_id)?.abort.abort();
          this.#dropWaiting(task.task_id, task.attempt);
        }
        for (const task of message.abandon) {
          for (const [id, result] of this.#unacked)
            if (result.task_id === task.task_id && result.attempt === task.attempt) this.#unacked.delete(id);
        }
        for (const result of this.#unacked.values()) this.#send(result);
        this.#welcomed = true;
        for (const event of this.#heldEvents.splice(0)) this.#send(event);
        this.options.logger.info(
          { brain: message.sender.id, abandoned: message.abandon.length },
          'registered with the brain',
        );
        return;
      case 'reregister':
        if (this.#mustRegister()) this.#register();
        return;
      case 'dispatch':
        if (message.mark !== undefined) this.#seen = message.mark;
        for (const id of message.acks ?? []) this.#unacked.delete(id);
        if (this.#accepting && this.#running.size < this.options.info.slots)
          this.#startAttempt(message.task, message.attempt, message.gpus);
        else if (
          !this.#waiting.some((wait) => wait.task.task_id === message.task.task_id && wait.attempt === message.attempt)
        ) {
          this.#waiting.push({ task: message.task, attempt: message.attempt, gpus: message.gpus });
        }
        return;
      case 'cancel_task': {
        const run = this.#running.get(message.task_id);
        if (run !== undefined && run.attempt === message.attempt) run.abort.abort();
        this.#dropWaiting(message.task_id, message.attempt);
        return;
      }
      case 'ack':
        if (message.re !== undefined) this.#unacked.delete(message.re);
        return;
      case 'heartbeat':
        return;
      case 'refused':
        // Nothing of that message was recorded (a brain whose disk is full): a result stays unacked and is sent again.
        this.options.logger.debug({ code: message.code, re: message.re }, `brain refused: ${message.message}`);
        return;
      default:
        this.options.logger.warn({ kind: message.kind }, 'unexpected message from brain');
    }
  }

  #dropWaiting(taskId: string, attempt: number): void {
    const index = this.#waiting.findIndex((wait) => wait.task.task_id === taskId && wait.attempt === attempt);
    if (index !== -1) this.#waiting.splice(index, 1);
  }

  #startNext(): void {
    while (!this.#stopped && this.#accepting && this.#running.size < this.options.info.slots) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      this.#startAttempt(next.task, next.attempt, next.gpus);
    }
  }

  #startAttempt(task: Task, attempt: number, gpus?: readonly number[]): void {
    const current = this.#running.get(task.task_id);
    if (current !== undefined) {
      if (current.attempt === attempt) return;
      current.abort.abort();
    }
    const abort = new AbortController();
    this.#running.set(task.task_id, { attempt, abort });
    const base = join(this.options.taskLogDir, `${task.task_id}.${attempt}`);
    const mine = this.options.info.gpus.map((gpu) => gpu.index);
    const foreign = gpus?.filter((gpu) => !mine.includes(gpu)) ?? [];
    const runner = foreign.length > 0 ? refuseCards(foreign, mine) : this.options.runnerFor(task);
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
            this.#send(createMessage('task_started', this.sender, { task_id: task.task_id, attempt, pid }));
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
        this.#startNext();
        const message = createMessage('task_result', this.sender, { task_id: task.task_id, attempt, result });
        this.#unacked.set(message.msg_id, message);
        this.#send(message);
      })
      .finally(() => this.#attempts.delete(work));
    this.#attempts.add(work);
  }

  #tick(): void {
    if (this.#stopped) return;
    const silentFor = this.#now() - this.#lastHeard;
    if (silentFor > this.#heartbeatMs * this.#liveness) {
      this.options.logger.warn(
        { silent_ms: silentFor, retry_in_ms: this.#reconnectDelay },
        'brain silent; reconnecting',
      );
      this.#socket?.close();
      this.#socket = undefined;
      this.#welcomed = false;
      const delay = this.#reconnectDelay;
      this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, this.#heartbeatMs * RECONNECT_CAP_HEARTBEATS);
      this.#lastHeard = this.#now() + delay;
      setTimeout(() => {
        if (!this.#stopped) this.#connect();
      }, delay).unref();
      return;
    }
    this.#send(createMessage('heartbeat', this.sender, { running: this.held(), accepting: this.#accepting }));
    // A result frame lost on the way is sent again; the brain applies a result once and acknowledges every copy.
    for (const result of this.#unacked.values()) this.#send(result);
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
