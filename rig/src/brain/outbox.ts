import type { Message } from '@rigmind/protocol';
import type { RouterSocket } from '../transport/zmq.js';

/** Where the brain's handlers send messages to a peer on the ROUTER. */
export interface MessageSink {
  send(identity: Buffer, message: Message): void;
}

/**
 * What a transaction says to the outside (replies, dispatches, published events, their log lines) waits here
 * until the transaction commits, and is dropped if it does not: an ack means the change is on disk, and a
 * dispatch names a lease that exists. Outside a transaction, everything goes out at once.
 */
export class Outbox {
  #held: (() => void)[] | undefined;

  /** Hold what is said from now on, until {@link commit} or {@link discard}. */
  begin(): void {
    this.#held = [];
  }

  /** Say it now, or once the transaction under way has committed. */
  defer(say: () => void): void {
    if (this.#held === undefined) say();
    else this.#held.push(say);
  }

  /** The transaction committed: say everything it held, in order. */
  commit(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const say of held) say();
  }

  /** The transaction rolled back: nothing it held was true; returns how much is dropped. */
  discard(): number {
    const dropped = this.#held?.length ?? 0;
    this.#held = undefined;
    return dropped;
  }

  /** A sink that sends through `router` when this outbox lets it. */
  sinkFor(router: RouterSocket): MessageSink {
    return { send: (identity, message) => this.defer(() => router.send(identity, message)) };
  }
}
