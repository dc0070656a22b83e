import type { Runtime } from '@rigmind/protocol';
import type { RigRegistry } from '../auth/rig-registry.js';
import type { GatewayLogger } from '../log/logger.js';
import type { EscalationService } from './escalation-service.js';
import type { EscalationStore } from './escalation-store.js';

/** Settings of the outbox loop. */
export interface OutboxSettings {
  readonly pollMs: number;
  readonly batch: number;
  readonly leaseMs: number;
}

/**
 * The background loop that redelivers pending escalations. One tick at a time, at most `batch` rows per
 * tick, each row leased before it is worked on, so a crash leaves it for the next run rather than losing it.
 * An escalation of a rig revoked meanwhile ends as failed (`rig_revoked`) without a call.
 */
export class OutboxWorker {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly store: EscalationStore,
    private readonly service: EscalationService,
    private readonly rigs: RigRegistry,
    private readonly logger: GatewayLogger,
    private readonly runtime: Pick<Runtime, 'now'>,
    private readonly settings: OutboxSettings,
  ) {}

  /** Start polling. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Run one tick now (also used by tests); resolves when the tick's deliveries are recorded. */
  async tick(): Promise<number> {
    let delivered = 0;
    // One row leased at a time: a stop between rows leaves no row leased without being worked on.
    while (delivered < this.settings.batch && !this.#stopped) {
      const now = this.runtime.now();
      const [row] = this.store.claimDue(now, now + this.settings.leaseMs, 1);
      if (row === undefined) break;
      delivered += 1;
      const rig = this.rigs.findActive(row.rig_id);
      try {
        if (rig === undefined) {
          // Revoked since it asked (perhaps because its secret leaked): nothing more is spent on its behalf.
          this.service.apply(
            row,
            row.rig_id,
            this.service.ended(row, 'rig_revoked', 'the rig was revoked before its escalation was delivered'),
          );
          continue;
        }
        const delivery = await this.service.deliver(row, rig.name);
        this.service.apply(row, rig.name, delivery);
      } catch (error) {
        // The lease stays in place, so the row is retried once it runs out.
        this.logger.error({ err: error, escalation_id: row.id }, 'outbox delivery failed');
      }
    }
    return delivered;
  }

  /** Stop polling and wait for a tick in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.error({ err: error }, 'outbox tick failed'))
        .finally(() => this.#schedule(this.settings.pollMs));
    }, delayMs);
    this.#timer.unref();
  }
}
