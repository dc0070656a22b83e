import { Dealer, Router, Subscriber, XPublisher } from 'zeromq';
import { encodeMessage, parseMessage, type Message, type Parsed, type ParseOptions } from '@rigmind/protocol';

/**
 * The one module that knows ZeroMQ. Everything else sends and receives protocol messages through it,
 * so authentication (CURVE) can later wrap this file alone.
 */

/** Socket options shared by every rig socket. */
export interface SocketOptions {
  /** Frames larger than this are dropped by ZeroMQ itself (the peer is disconnected), before any parsing. */
  readonly maxMessageBytes: number;
}

/** zeromq.js allows one pending send per socket; this chains them so callers can fire and forget safely. */
class SendQueue {
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  constructor(private readonly onError: (error: Error) => void) {}
  push(send: () => Promise<void>): void {
    if (this.#closed) return;
    this.#tail = this.#tail.then(send).catch((error: unknown) => {
      if (!this.#closed) this.onError(error as Error);
    });
  }
  /** Resolves once every queued send has been handed to ZeroMQ. */
  drain(): Promise<void> {
    return this.#tail;
  }
  close(): void {
    this.#closed = true;
  }
}

/** A frame that arrived with the identity of the peer that sent it. */
export interface RoutedFrame {
  readonly identity: Buffer;
  readonly parsed: Parsed<Message>;
  readonly frameCount: number;
}

/** The brain's ROUTER: every worker and client talks to it. */
export class RouterSocket {
  readonly #socket: Router;
  readonly #queue: SendQueue;
  constructor(options: SocketOptions, onError: (error: Error) => void) {
    this.#socket = new Router({
      linger: 0,
      maxMessageSize: options.maxMessageBytes * 2,
      handover: true,
      sendHighWaterMark: 100_000,
    });
    this.#queue = new SendQueue(onError);
  }
  /** Bind to an endpoint. */
  async bind(endpoint: string): Promise<void> {
    await this.#socket.bind(endpoint);
  }
  /** Frames as they arrive, parsed through protocol (a bad frame is a value, not an exception). */
  async *frames(parse: ParseOptions): AsyncGenerator<RoutedFrame> {
    try {
      for await (const parts of this.#socket) {
        const [identity, ...rest] = parts;
        if (identity === undefined) continue;
        const body = rest.length === 1 ? rest[0] : undefined;
        const parsed: Parsed<Message> =
          body === undefined
            ? {
                ok: false,
                error: {
                  code: 'invalid_message',
                  message: `expected one frame after the identity, got ${rest.length}`,
                  issues: [],
                },
              }
            : parseMessage(body, parse);
        yield { identity, parsed, frameCount: rest.length };
      }
    } catch (error) {
      if (!this.#socket.closed) throw error;
    }
  }
  /** Queue a message to the peer with `identity`. */
  send(identity: Buffer, message: Message): void {
    const frame = encodeMessage(message);
    this.#queue.push(() => this.#socket.send([identity, frame]));
  }
  /** Close after pending sends have been handed over. */
  async close(): Promise<void> {
    await Promise.race([this.#queue.drain(), new Promise((resolve) => setTimeout(resolve, 200))]);
    this.#queue.close();
    this.#socket.close();
  }
}

/** A worker's or client's DEALER to the brain. */
export class DealerSocket {
  readonly #socket: Dealer;
  readonly #queue: SendQueue;
  constructor(options: SocketOptions, onError: (error: Error) => void) {
    this.#socket = new Dealer({
      linger: 0,
      maxMessageSize: options.maxMessageBytes * 2,
      reconnectInterval: 100,
      reconnectMaxInterval: 2_000,
    });
    this.#queue = new SendQueue(onError);
  }
  /** Connect to the brain. */
  connect(endpoint: string): void {
    this.#socket.connect(endpoint);
  }
  /** Messages from the brain, parsed through protocol. */
  async *messages(parse: ParseOptions): AsyncGenerator<Parsed<Message>> {
    try {
      for await (const parts of this.#socket) {
        const body = parts.length === 1 ? parts[0] : undefined;
        yield body === undefined
          ? {
              ok: false,
              error: { code: 'invalid_message', message: `expected one frame, got ${parts.length}`, issues: [] },
            }
          : parseMessage(body, parse);
      }
    } catch (error) {
      if (!this.#socket.closed) throw error;
    }
  }
  /** Queue a message to the brain. */
  send(message: Message): void {
    const frame = encodeMessage(message);
    this.#queue.push(() => this.#socket.send(frame));
  }
  /** Send frames as they are: a request the caller encoded to check its size, or bad input in tests. */
  sendRaw(frames: (string | Buffer)[]): void {
    this.#queue.push(() => this.#socket.send(frames));
  }
  /** Close now; unsent messages are dropped (the brain's heartbeats and acks make that safe). */
  close(): void {
    this.#queue.close();
    this.#socket.close();
  }
}

/**
 * The brain's event PUB (an XPUB, so it hears subscriptions). Topic frame is the event type, so subscribers can
 * filter. With nobody subscribed to a topic, publishing it costs nothing: on a busy rig with no one watching,
 * the socket calls were the brain's largest cost per task.
 */
export class EventPublisher {
  readonly #socket = new XPublisher({ linger: 0, sendHighWaterMark: 100_000 });
  readonly #queue: SendQueue;
  /** Subscribed topic prefixes and how many subscribers hold each. */
  readonly #prefixes = new Map<string, number>();
  #loop: Promise<void> | undefined;

  constructor(onError: (error: Error) => void) {
    this.#queue = new SendQueue(onError);
  }

  /** Bind to an endpoint and start hearing subscriptions. */
  async bind(endpoint: string): Promise<void> {
    await this.#socket.bind(endpoint);
    this.#loop = this.#subscriptions();
  }

  async #subscriptions(): Promise<void> {
    try {
      for await (const [frame] of this.#socket) {
        if (frame === undefined || frame.length === 0) continue;
        const prefix = frame.subarray(1).toString('utf8');
        const count = (this.#prefixes.get(prefix) ?? 0) + (frame[0] === 1 ? 1 : -1);
        if (count > 0) this.#prefixes.set(prefix, count);
        else this.#prefixes.delete(prefix);
      }
    } catch (error) {
      if (!this.#socket.closed) throw error;
    }
  }

  /** Whether anyone listens to `topic`. */
  wanted(topic: string): boolean {
    for (const prefix of this.#prefixes.keys()) if (topic.startsWith(prefix)) return true;
    return false;
  }

  /** Publish one JSON document under a topic (built only if someone listens). */
  publish(topic: string, json: () => string): void {
    if (!this.wanted(topic)) return;
    const body = json();
    this.#queue.push(() => this.#socket.send([topic, body]));
  }

  /** Close the socket. */
  async close(): Promise<void> {
    this.#queue.close();
    this.#socket.close();
    await this.#loop;
  }
}

/** A subscriber to the brain's events. */
export class EventSubscriber {
  readonly #socket = new Subscriber({ linger: 0, maxMessageSize: 4 * 1024 * 1024 });
  /** Connect and subscribe to topics (all when none). */
  connect(endpoint: string, topics: readonly string[] = []): void {
    this.#socket.connect(endpoint);
    if (topics.length === 0) this.#socket.subscribe();
    else this.#socket.subscribe(...topics);
  }
  /** Raw JSON documents as they arrive. */
  async *documents(): AsyncGenerator<{ topic: string; json: string }> {
    try {
      for await (const [topic, body] of this.#socket) {
        if (topic === undefined || body === undefined) continue;
        yield { topic: topic.toString('utf8'), json: body.toString('utf8') };
      }
    } catch (error) {
      if (!this.#socket.closed) throw error;
    }
  }
  /** Close the socket (again: nothing). */
  close(): void {
    if (!this.#socket.closed) this.#socket.close();
  }
}
