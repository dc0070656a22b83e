import type { Message } from '@rigmind/protocol';

/** A cancel request waiting for its answer: where the answer goes, and the msg_id it answers. */
export interface Waiter {
  readonly re: string;
  readonly reply: (message: Message) => void;
}

/**
 * Cancels that cannot be answered in their own frame. One of a plan still being stored waits for the store to end
 * (then the plan is canceled, before any of it is dispatched); one of a plan already being canceled in slices waits
 * for that cancel. Each is answered once all of the cancel is on disk.
 */
export class PlanWaits {
  readonly #storing = new Map<string, Waiter[]>();
  readonly #canceling = new Map<string, Waiter[]>();

  /** A cancel of a plan being stored: answered after the store, when the plan is canceled. */
  waitForStore(planId: string, waiter: Waiter): void {
    this.#storing.set(planId, [...(this.#storing.get(planId) ?? []), waiter]);
  }

  /** The cancels waiting for a plan's store to end (removed from here). */
  takeStoreWaiters(planId: string): Waiter[] {
    const waiters = this.#storing.get(planId) ?? [];
    this.#storing.delete(planId);
    return waiters;
  }

  /** Whether a plan is being canceled in slices. */
  isCanceling(planId: string): boolean {
    return this.#canceling.has(planId);
  }

  /** A cancel in slices begins, for these waiting requests (none for one resumed at start). */
  startCanceling(planId: string, waiters: readonly Waiter[]): void {
    this.#canceling.set(planId, [...waiters]);
  }

  /** Another cancel of a plan being canceled: answered with the first, when all of it is on disk. */
  waitForCancel(planId: string, waiter: Waiter): void {
    this.#canceling.get(planId)?.push(waiter);
  }

  /** A cancel in slices ended (done or failed): the requests to answer (removed from here). */
  endCanceling(planId: string): Waiter[] {
    const waiters = this.#canceling.get(planId) ?? [];
    this.#canceling.delete(planId);
    return waiters;
  }
}
