import type { BrainCore } from '../brain/brain-context.js';
import { gatewayRetryDelay } from './retry-delay.js';
import type { EscalationStore } from '../store/escalations.js';
import type { GatewayClient } from './gateway-client.js';

/** The escalator's record of requests under way, which a withdrawal shares (one request per task at a time). */
export interface RequestsUnderWay {
  busy(taskId: string): boolean;
  track(taskId: string, request: Promise<void>): void;
}

/**
 * Withdrawing at the gateway what canceled tasks left there (`withdrawing` rows), so an escalation accepted during
 * an outage is not delivered and paid for after its task is gone. Each step is one request; what cannot be
 * settled yet is tried again with the escalation backoff, and the row keeps the state across brain restarts.
 */
export class Withdrawals {
  constructor(
    private readonly ctx: BrainCore,
    private readonly client: GatewayClient,
    private readonly rows: EscalationStore,
    private readonly underWay: RequestsUnderWay,
  ) {}

  /** Take the next step for a canceled task's escalation, unless a request for it is under way. */
  run(taskId: string): void {
    if (this.underWay.busy(taskId)) return;
    const escalation = this.rows.get(taskId);
    if (escalation?.state !== 'withdrawing') return;
    const id = escalation.escalation_id;
    if (id === null) {
      if (escalation.handoff === null || escalation.idempotency_key === null)
        this.rows.setState(taskId, 'done', 'task canceled before its escalation was sent');
      else this.#lookUp(taskId, escalation.idempotency_key, escalation.tries);
      return;
    }
    const request = this.client.withdraw(id).then((result) => {
      if (result.outcome === 'later') {
        this.#later(taskId, escalation.tries, `withdrawing at the gateway: ${result.message}`, result.retryAfterMs);
        return;
      }
      this.rows.setState(taskId, 'done', `task canceled; ${result.outcome}: ${result.message}`);
      this.ctx.logger.info(
        { task_id: taskId, escalation_id: id, outcome: result.outcome },
        'canceled task: its escalation withdrawn or settled',
      );
    });
    this.underWay.track(taskId, request);
  }

  // Sent, but no reply brought the gateway's id (it was lost): ask which escalation the handoff's key made.
  #lookUp(taskId: string, key: string, tries: number): void {
    const request = this.client.findByKey(key).then((result) => {
      const id = result.ok ? result.value.response.id : result.escalationId;
      if (id !== undefined && (result.ok || result.code === 'failed')) {
        // The next step withdraws it by id (a settled one is then reported as such).
        this.rows.retryLater(taskId, this.ctx.runtime.now(), id, 'task canceled; withdrawing at the gateway');
      } else if (!result.ok && result.gatewayCode === 'not_found') {
        this.rows.setState(taskId, 'done', 'task canceled; its escalation never reached the gateway');
      } else {
        this.#later(
          taskId,
          tries,
          `looking its escalation up at the gateway: ${result.ok ? 'no id' : result.message}`,
          result.ok ? undefined : result.retryAfterMs,
        );
      }
    });
    this.underWay.track(taskId, request);
  }

  #later(taskId: string, tries: number, why: string, retryAfterMs = 0): void {
    const delay = gatewayRetryDelay(
      this.ctx.config.escalation,
      tries + 1,
      () => this.ctx.runtime.random(),
      retryAfterMs,
    );
    this.rows.retryLater(taskId, this.ctx.runtime.now() + delay, undefined, `task canceled; ${why}`);
  }
}
