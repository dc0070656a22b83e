import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createMessage,
  encodeMessage,
  err,
  MAX_FRAME_BYTES,
  ok,
  refusalCodeOf,
  type Err,
  type Message,
  type Ok,
  type MessageKind,
  type Payload,
  type RefusalCode,
  type UNKNOWN_REFUSAL,
} from '@rigmind/protocol';
import { DealerSocket } from '../transport/zmq.js';

/**
 * Why a request has no useful reply: the brain refused it (its code, or `refused` for one this client does not
 * know), it sent no valid answer in time (`brain_unreachable`), or its answer made no sense (`invalid_reply`).
 * A request over the brain's frame limit is refused here, under the brain's own `frame_too_large`.
 */
export type ClientErrorCode = RefusalCode | typeof UNKNOWN_REFUSAL | 'brain_unreachable' | 'invalid_reply';

/** The problems behind a refusal (a plan's, with lines), empty when there are none. */
export interface ClientIssues {
  readonly issues: readonly { path: string; message: string; line?: number | undefined }[];
}

/** A request that got no answer or a refusal, as a value. */
export type ClientFailure = Err<ClientErrorCode, ClientIssues>;

/** A reply from the brain, or why there is none. */
export type ClientResult = Ok<Message> | ClientFailure;

/** Largest reply a client takes: a 100,000-task plan's acceptance is about 5 MB, a status page far less. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** A client's connection to the brain: requests go out on a DEALER, replies are matched by `re`. */
export class BrainClient {
  readonly #socket: DealerSocket;
  readonly #pending = new Map<string, (message: Message) => void>();
  readonly #loop: Promise<void>;
  readonly #maxFrameBytes: number;
  readonly id: string;
  #lastInvalid: string | undefined;

  /** `maxFrameBytes` is the brain's limit (`max_frame_bytes`): a bigger request is refused here, never sent. */
  constructor(
    private readonly endpoint: string,
    maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    this.id = `cli-${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    this.#maxFrameBytes = maxFrameBytes;
    this.#socket = new DealerSocket({ maxMessageBytes: MAX_REPLY_BYTES }, () => undefined);
    this.#socket.connect(endpoint);
    this.#loop = this.#receive();
  }

  async #receive(): Promise<void> {
    for await (const parsed of this.#socket.messages({ from: ['brain'], maxBytes: MAX_REPLY_BYTES })) {
      if (!parsed.ok) {
        // A reply this client cannot parse (a newer brain?) still answers its request, as a refusal saying why.
        this.#lastInvalid = parsed.error.message;
        continue;
      }
      const re = parsed.value.re ?? this.#unmatched(parsed.value);
      if (re === undefined) continue;
      this.#pending.get(re)?.(parsed.value);
    }
  }

  /**
   * A refusal naming no request (an older brain, or a frame so broken its msg_id was lost) answers the oldest
   * request still waiting: the brain answers one connection's frames in the order they came, and failing that
   * request at once beats letting it run into its timeout and report the brain unreachable.
   */
  #unmatched(message: Message): string | undefined {
    if (message.kind !== 'refused') return undefined;
    return this.#pending.keys().next().value;
  }

  /** Send one request and wait for its reply; a refusal or silence is a value naming what went wrong. */
  async request<K extends MessageKind>(kind: K, payload: Payload<K>, timeoutMs = 5_000): Promise<ClientResult> {
    const message = createMessage(kind, { role: 'client', id: this.id }, payload);
    const frame = encodeMessage(message);
    const size = Buffer.byteLength(frame);
    if (size > this.#maxFrameBytes) {
      // Checked here because ZeroMQ drops a frame over twice the brain's limit without a word.
      const limit = `the brain's limit of ${this.#maxFrameBytes} bytes (max_frame_bytes in config.json)`;
      return err('frame_too_large', `this ${kind} is ${size} bytes, over ${limit}`, { issues: [] });
    }
    const reply = new Promise<Message | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(message.msg_id);
        resolve(undefined);
      }, timeoutMs);
      this.#pending.set(message.msg_id, (answer) => {
        clearTimeout(timer);
        this.#pending.delete(message.msg_id);
        resolve(answer);
      });
    });
    this.#socket.sendRaw([frame]);
    const answer = await reply;
    if (answer === undefined) {
      const why =
        this.#lastInvalid !== undefined
          ? `no valid answer from the brain at ${this.endpoint}: ${this.#lastInvalid}`
          : `no answer from a brain at ${this.endpoint} within ${timeoutMs} ms; is it running? (rigmind brain, or ` +
            `rigmind up)`;
      return err('brain_unreachable', why, { issues: [] });
    }
    if (answer.kind === 'refused') return refusal(answer.code, answer.message, answer.issues);
    return ok(answer);
  }

  /** Whether a brain answers within `timeoutMs`; a refusal from it still proves it is there. */
  async reachable(timeoutMs = 5_000): Promise<ClientResult> {
    return this.request('status_request', { include_tasks: false }, timeoutMs);
  }

  /** Close the connection. */
  async close(): Promise<void> {
    this.#socket.close();
    await this.#loop;
  }
}

/** A wire refusal with its code closed; an unknown code (a newer brain's) keeps its name in the message. */
function refusal(code: string, message: string, issues: ClientIssues['issues']): ClientFailure {
  const known = refusalCodeOf(code);
  return err(known, known === code ? message : `${code}: ${message}`, { issues });
}
