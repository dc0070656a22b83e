import type { Logger } from 'pino';
import { createMessage, type Message, type MessageKind } from '@rigmind/protocol';
import { writeFailureOf, type WriteFailure } from '../store/write-failure.js';

/** What a rolled-back transaction answers its frame's sender: a stable code and a sentence. */
export interface Refusal {
  readonly code: WriteFailure['code'] | 'internal_error';
  readonly message: string;
}

/** Frames the brain can answer without writing: served while the state database cannot be written. */
const READ_ONLY = new Set<MessageKind>(['status_request', 'logs_request', 'heartbeat']);

/** Whether handling `kind` may write to the state database. */
export function writes(kind: MessageKind): boolean {
  return !READ_ONLY.has(kind);
}

/** Requests whose acknowledgement a client keeps: their commits are synced to disk before the ack goes out. */
const ACKED_TO_CLIENT = new Set<MessageKind>(['submit_plan', 'cancel_request', 'retry_request', 'escalate_request']);

/** Whether the commit that handles `kind` must survive power loss, not only a killed process. */
export function ackedToClient(kind: MessageKind): boolean {
  return ACKED_TO_CLIENT.has(kind);
}

/**
 * Whether the state database takes writes, and whether memory still agrees with it. A failed write (a full disk)
 * starts an episode: writes are refused up front with its code, reads go on, and each heartbeat tick probes
 * until a write commits again. A rolled-back transaction of any kind leaves memory (the ready queue, leases,
 * retry timers) ahead of the database until the brain reloads it.
 */
export class WriteHealth {
  #failure: WriteFailure | undefined;
  #stale = false;
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The failure of the episode under way, if any. */
  get failure(): WriteFailure | undefined {
    return this.#failure;
  }

  /** Whether memory must be reloaded from the database (or writes probed) before work goes on. */
  get recovering(): boolean {
    return this.#stale || this.#failure !== undefined;
  }

  /** A transaction threw and was rolled back: what its sender is told, after logging it once per episode. */
  failed(error: unknown, now: string): Refusal {
    this.#stale = true;
    const failure = writeFailureOf(error, this.#failure?.since ?? now);
    if (failure === undefined) {
      // A bug in one handler must not take the brain down; the frame is logged and refused.
      this.#logger.error({ err: error }, 'handler failed');
      return { code: 'internal_error', message: `the brain failed handling this message: ${String(error)}` };
    }
    if (this.#failure === undefined) {
      const what = `${failure.message}: writes refused and work paused until a write succeeds`;
      this.#logger.error({ code: failure.code }, what);
    }
    this.#failure = failure;
    return refusalOf(failure);
  }

  /** A reload (and a probing write) committed: memory agrees with the database and writes work. */
  recovered(): void {
    if (this.#failure !== undefined) {
      const { code, since } = this.#failure;
      this.#logger.warn({ code, since }, 'the state database takes writes again; work resumes');
    }
    this.#failure = undefined;
    this.#stale = false;
  }
}

/** The refusal a write failure answers with. */
export function refusalOf(failure: WriteFailure): Refusal {
  return { code: failure.code, message: `${failure.message}; nothing was recorded: try again once space is freed` };
}

/** A refusal to the frame whose message had `msgId`, from the brain. */
export function refusalMessage(brainId: string, refusal: Refusal, msgId: string): Message {
  const payload = { code: refusal.code, message: refusal.message, issues: [] };
  return createMessage('refused', { role: 'brain', id: brainId }, payload, msgId);
}
