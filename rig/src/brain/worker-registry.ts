import type { DispatchMark, Runtime, TaskClass, WorkerInfo, WorkerStatus } from '@rigmind/protocol';

/** A worker as the brain tracks it between heartbeats. */
export interface WorkerEntry {
  readonly id: string;
  /** Undefined until the worker registers (after a brain restart, leases name workers not yet heard from). */
  info: WorkerInfo | undefined;
  identity: Buffer | undefined;
  lastSeen: number;
  readonly leases: Set<string>;
  lastDispatch: number;
  /** False while the worker's cards rest after running hot: it is offered nothing. */
  accepting: boolean;
  /** Its cards held for heat (gpu_thermal hot until cooled), with the last temperature reported (card-views.ts). */
  readonly heat: Map<number, number | null>;
  /** Moving average of its attempts' run time (s); undefined before the first result. */
  recentRunS: number | undefined;
  /** Dispatches sent on its current connection, by task: the attempt and the mark's `n`. */
  readonly sent: Map<string, { attempt: number; n: number }>;
}

/** When a worker may hold tasks beyond its slots. */
export interface PrefetchPolicy {
  readonly prefetch: number;
  readonly belowS: number;
}

/**
 * Tasks beyond its slots a worker may hold now: the full prefetch while its tasks are short, one before it has run any.
 */
export function prefetchFor(entry: WorkerEntry, policy: PrefetchPolicy): number {
  if (entry.recentRunS === undefined) return Math.min(1, policy.prefetch);
  return entry.recentRunS < policy.belowS ? policy.prefetch : 0;
}

/** What a worker has done, from the attempts table. */
export interface WorkerStats {
  readonly tokens_per_second: number | null;
  readonly completed: number;
  readonly failed: number;
}

/** Live workers by id. Adding a worker needs no brain config: it registers and appears here. */
export class WorkerRegistry {
  readonly #workers = new Map<string, WorkerEntry>();
  /** This brain start, in every dispatch's mark: a worker's `seen` from an earlier start says nothing of ours. */
  readonly boot: string;
  #dispatches = 0;
  /** Connections asked to register, and when: asked once per liveness window, not once per frame they sent. */
  readonly #asked = new Map<string, number>();
  #lastTick: number | undefined;

  /** `runtime.id` names this brain start (the `boot` of every dispatch mark). */
  constructor(runtime: Pick<Runtime, 'id'>) {
    this.boot = runtime.id();
  }

  /** Mark a dispatch of `attempt` of `taskId` to `entry`'s current connection. */
  markDispatch(entry: WorkerEntry, taskId: string, attempt: number): DispatchMark {
    this.#dispatches += 1;
    entry.sent.set(taskId, { attempt, n: this.#dispatches });
    return { boot: this.boot, n: this.#dispatches };
  }

  /**
   * Whether a lease of `entry` that its register does not list was sent on this connection after the last dispatch
   * the register says the worker had received: the register left before the dispatch arrived, and the worker
   * will run it. Anything else not listed the worker does not hold and never will.
   */
  sentAfter(entry: WorkerEntry, taskId: string, attempt: number, seen: DispatchMark | undefined): boolean {
    const sent = entry.sent.get(taskId);
    if (sent === undefined || sent.attempt !== attempt) return false;
    return seen === undefined || seen.boot !== this.boot || sent.n > seen.n;
  }

  /**
   * Whether to ask a connection the brain does not know to register. Frames a worker queued while the brain was
   * down arrive together from its new connection: one request covers them all, and only if it went unanswered
   * for `windowMs` (the liveness window) is it asked again.
   */
  shouldAsk(identity: Buffer, now: number, windowMs: number): boolean {
    const key = identity.toString('hex');
    const last = this.#asked.get(key);
    if (last !== undefined && now - last < windowMs) return false;
    if (this.#asked.size >= 10_000) {
      for (const [old, at] of this.#asked) if (now - at >= windowMs) this.#asked.delete(old);
    }
    this.#asked.set(key, now);
    return true;
  }

  /**
   * Called on every heartbeat tick: whether this tick came late by more than one interval, so the brain itself was
   * stalled since the last one (a blocked loop, or a starved machine).
   */
  stalled(now: number, heartbeatMs: number): boolean {
    const last = this.#lastTick;
    this.#lastTick = now;
    return last !== undefined && now - last > 2 * heartbeatMs;
  }

  /** A connection registered: it is known now. */
  answered(identity: Buffer): void {
    this.#asked.delete(identity.toString('hex'));
  }

  /** Every tracked worker. */
  all(): WorkerEntry[] {
    return [...this.#workers.values()];
  }

  /** One worker. */
  get(id: string): WorkerEntry | undefined {
    return this.#workers.get(id);
  }

  /** Track a worker id (registered or only named by a lease). */
  ensure(id: string, now: number): WorkerEntry {
    let entry = this.#workers.get(id);
    if (entry === undefined) {
      entry = {
        id,
        info: undefined,
        identity: undefined,
        lastSeen: now,
        leases: new Set(),
        lastDispatch: 0,
        accepting: true,
        heat: new Map(),
        recentRunS: undefined,
        sent: new Map(),
      };
      this.#workers.set(id, entry);
    }
    return entry;
  }

  /** Forget a worker. */
  delete(id: string): void {
    this.#workers.delete(id);
  }

  /**
   * Registered workers that can take another task (slots plus prefetch), the least busy and least recently fed first.
   */
  withFreeSlots(policy: PrefetchPolicy): WorkerEntry[] {
    return this.all()
      .filter(
        (entry) =>
          entry.info !== undefined &&
          entry.identity !== undefined &&
          entry.accepting &&
          entry.leases.size < entry.info.slots + prefetchFor(entry, policy),
      )
      .sort(
        (a, b) =>
          a.leases.size / (a.info?.slots ?? 1) - b.leases.size / (b.info?.slots ?? 1) ||
          a.lastDispatch - b.lastDispatch,
      );
  }

  /** Status rows for `rigmind status`. */
  status(now: number, deadAfterMs: number, stats: ReadonlyMap<string, WorkerStats> = new Map()): WorkerStatus[] {
    return this.all()
      .filter((entry) => entry.info !== undefined)
      .map((entry) => {
        const info = entry.info as WorkerInfo;
        return {
          id: entry.id,
          alive: now - entry.lastSeen <= deadAfterMs,
          classes: info.classes as TaskClass[],
          gpus: info.gpus.map((gpu) => gpu.index),
          slots: info.slots,
          busy: entry.leases.size,
          simulated: info.simulated,
          last_seen: new Date(entry.lastSeen).toISOString(),
          tokens_per_second: stats.get(entry.id)?.tokens_per_second ?? null,
          completed: stats.get(entry.id)?.completed ?? 0,
          failed: stats.get(entry.id)?.failed ?? 0,
          ...(entry.heat.size > 0 ? { held: heldCards(entry) } : {}),
        };
      });
  }
}

/** A worker's cards held for heat, as status shows them. */
function heldCards(entry: WorkerEntry): { gpu: number; temperature_c: number | null }[] {
  return [...entry.heat].map(([gpu, temperature_c]) => ({ gpu, temperature_c }));
}
