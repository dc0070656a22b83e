import type { Logger } from 'pino';
import type { RigEvent } from '@rigmind/protocol';
import type { Store } from '../store/store.js';
import type { EventInput, TaskEvents } from '../store/task-events.js';
import type { EventPublisher } from '../transport/zmq.js';
import { Outbox } from './outbox.js';

/**
 * One place every brain event goes through: stored (the durable record), published on the PUB socket (live
 * subscribers, `submit --wait`), and logged as a pino JSON line (the seed's brain_decisions.log, structured). The
 * state machine announces status changes through it too, as its {@link TaskEvents}.
 */
export class EventBus implements TaskEvents {
  readonly #store: Store;
  readonly #publisher: EventPublisher | undefined;
  readonly #logger: Logger;
  readonly #outbox: Outbox;

  constructor(store: Store, publisher: EventPublisher | undefined, logger: Logger, outbox: Outbox = new Outbox()) {
    this.#store = store;
    this.#publisher = publisher;
    this.#logger = logger;
    this.#outbox = outbox;
  }

  /** Record an event, and publish and log it once the transaction that recorded it has committed. */
  emit(input: EventInput): RigEvent {
    const event = { timestamp: this.#store.isoNow() } as RigEvent;
    for (const [key, value] of Object.entries(input))
      if (value !== undefined) (event as Record<string, unknown>)[key] = value;
    const seq = this.#store.appendEvent(event);
    const stamped = { ...event, seq };
    // A subscriber (`submit --wait`) acts on what it hears: an event rolled back with its transaction never happened.
    this.#outbox.defer(() => {
      this.#publisher?.publish(event.event_type, () => JSON.stringify(stamped));
      const warns = event.event_type === 'task_failed' || event.event_type === 'worker_lost';
      const level = warns ? 'warn' : CHATTY.has(event.event_type) ? 'debug' : 'info';
      this.#logger[level]({ event: stamped }, describe(stamped));
    });
    return stamped;
  }
}

/** Per-task bookkeeping events: in the database and on the PUB socket always, in the log file at debug level. */
const CHATTY = new Set<RigEvent['event_type']>(['task_dispatched', 'task_released', 'task_started']);

function describe(event: RigEvent): string {
  const who = event.plan_task_id ?? event.task_id ?? event.plan_id ?? event.worker_id ?? '';
  const where = event.worker_id !== undefined && who !== event.worker_id ? ` on ${event.worker_id}` : '';
  const why = event.cause !== undefined ? ` (${event.cause})` : event.error ? ` (${event.error})` : '';
  return `${event.event_type} ${who}${where}${why}`.trim();
}
