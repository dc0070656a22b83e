import type { Logger } from 'pino';
import {
  createMessage,
  RECONNECT_CAP_HEARTBEATS,
  systemRuntime,
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
import { AttemptSlots } from './attempt-slots.js';
import type { TaskRunner } from './task-runner.js';

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
  readonly #slots: AttemptSlots;
  /** Results not yet acknowledged, by the msg_id that carried them. */
  readonly #unacked = new Map<string, MessageOf<'task_result'>>();
  readonly #loops = new Set<Promise<void>>();
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
    this.#slots = new AttemptSlots({
      workerId: options.info.id,
      slots: options.info.slots,
      gpus: options.info.gpus.map((gpu) => gpu.index),
      taskLogDir: options.taskLogDir,
      runnerFor: options.runnerFor,
      mayStart: () => !this.#stopped && this.#accepting,
      send: (message) => this.#send(message),
      onResult: (message) => {
        this.#unacked.set(message.msg_id, message);
        this.#send(message);
      },
    });
  }

  private get sender() {
    return { role: 'worker' as const, id: this.options.info.id };
  }

  /** Attempts currently running. */
  held(): HeldTask[] {
    const held = this.#slots.held();
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
    if (accepting) this.#slots.startNext();
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
    await this.#slots.stopAll();
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
        for (const task of message.abandon) this.#slots.abandon(task.task_id, task.attempt);
        for (const task of message.abandon) {
          for (const [id, result] of this.#unacked)
            if (result.task_id === task.task_id && result.attempt === task.attempt) this.#unacked.delete(id);
        }
        for (const result of this.#unacked.values()) this.#send(result);
        this.#welcomed = true;
        // The register may say it takes work when the guard has held a card since (a heartbeat sent before the
        // welcome is not heard): say so now, before the held events (a `hot` among them) that tell of it.
        this.#send(createMessage('heartbeat', this.sender, { running: this.held(), accepting: this.#accepting }));
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
        this.#slots.offer(message.task, message.attempt, message.gpus);
        return;
      case 'cancel_task':
        this.#slots.cancel(message.task_id, message.attempt);
        return;
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
