import { createMessage, type AttemptResult, type HeldTask, type MessageOf } from '@rigmind/protocol';
import { LOW_CONFIDENCE_MARKER } from '../escalation/low-confidence.js';
import type { BrainContext } from './brain-context.js';
import { finished, type BrainEffect } from './effects.js';
import { loseLease } from './lost-lease.js';
import { ownLateResult, refuseResult } from './result-refusal.js';
import { rerouteTooLong } from './too-long.js';
import { noteCardHeat, restoreCardHeat } from './card-views.js';

const brainSender = (ctx: BrainContext) => ({ role: 'brain' as const, id: ctx.id });

/**
 * A worker (re-)registers. It reports the attempts it holds and the last dispatch it received: the brain keeps
 * the leases it lists, and the ones sent on this connection after that dispatch (on their way to it); it tells
 * the worker to abandon what the brain no longer wants, and takes back the rest of this worker's leases.
 */
export function onRegister(ctx: BrainContext, identity: Buffer, message: MessageOf<'register'>): BrainEffect[] {
  const info = message.worker;
  const now = ctx.runtime.now();
  const entry = ctx.workers.ensure(info.id, now);
  const firstTime = entry.info === undefined;
  // What was sent on another connection can no longer reach the worker: only what it lists is still its.
  if (entry.identity?.equals(identity) !== true) entry.sent.clear();
  entry.info = info;
  entry.identity = identity;
  entry.lastSeen = now;
  // A worker the brain forgot (reaped while the brain was starved, or before a restart) says whether it takes work.
  entry.accepting = message.accepting ?? true;
  restoreCardHeat(entry, message.held);
  ctx.workers.answered(identity);
  ctx.store.upsertWorker(info.id, info);
  ctx.scheduler?.onRegister(entry);
  const held = new Map(message.running.map((task) => [task.task_id, task.attempt]));
  const abandon: HeldTask[] = [];
  for (const task of message.running) {
    const lease = ctx.store.leaseOf(task.task_id);
    if (lease !== undefined && lease.attempt === task.attempt && lease.worker_id === info.id)
      entry.leases.add(task.task_id);
    else abandon.push(task);
  }
  const takeBack: { task_id: string; attempt: number }[] = [];
  for (const lease of ctx.store.leases()) {
    if (lease.worker_id !== info.id || held.get(lease.task_id) === lease.attempt) continue;
    // A stale report: the register left before this dispatch reached the worker. Taking it back would run it twice.
    if (ctx.workers.sentAfter(entry, lease.task_id, lease.attempt, message.seen)) continue;
    entry.leases.delete(lease.task_id);
    takeBack.push(lease);
  }
  ctx.router.send(
    identity,
    createMessage(
      'welcome',
      brainSender(ctx),
      { heartbeat_ms: ctx.config.heartbeat_ms, liveness: ctx.config.heartbeat_liveness, abandon },
      message.msg_id,
    ),
  );
  ctx.events.emit({
    event_type: 'worker_registered',
    worker_id: info.id,
    detail: {
      gpus: info.gpus.map((gpu) => gpu.index),
      classes: info.classes,
      prefer: info.prefer ?? null,
      slots: info.slots,
      simulated: info.simulated,
      executor: info.executor,
      kept: entry.leases.size,
      abandoned: abandon.length,
      taken_back: takeBack.length,
      first_time: firstTime,
      held: [...entry.heat.keys()],
    },
  });
  ctx.schedulePump();
  // After the registration is announced: each lease taken back is announced as it is taken (requeued or failed).
  return takeBack.flatMap((lease) => loseLease(ctx, info.id, lease, `worker ${info.id} registered without the task`));
}

/**
 * Any message from a worker on the connection it registered proves it alive. Anything else is asked to register,
 * once per liveness window and connection: the frames a worker queued while the brain was down all arrive at once.
 */
export function touchWorker(
  ctx: BrainContext,
  identity: Buffer,
  message: MessageOf<'heartbeat' | 'task_started' | 'task_result' | 'goodbye' | 'worker_event'>,
): boolean {
  const entry = ctx.workers.get(message.sender.id);
  if (entry?.info === undefined || entry.identity?.equals(identity) !== true) {
    const window = ctx.config.heartbeat_ms * ctx.config.heartbeat_liveness;
    if (message.kind !== 'goodbye' && ctx.workers.shouldAsk(identity, ctx.runtime.now(), window)) {
      ctx.router.send(
        identity,
        createMessage('reregister', brainSender(ctx), { reason: 'unknown worker or new connection' }, message.msg_id),
      );
    }
    return false;
  }
  entry.lastSeen = ctx.runtime.now();
  return true;
}

/** Card events a worker may add to the brain's stream; anything else from a worker is not its to report. */
const WORKER_EVENT_TYPES = new Set<string>([
  'gpu_state',
  'gpu_allocated',
  'model_loaded',
  'model_unloaded',
  'gpu_thermal',
]);

/** A worker reports what happened on its cards. */
export function onWorkerEvent(ctx: BrainContext, message: MessageOf<'worker_event'>): void {
  const { event } = message;
  if (!WORKER_EVENT_TYPES.has(event.event_type)) {
    ctx.logger.warn(
      { worker_id: message.sender.id, event_type: event.event_type },
      'worker event of a type workers do not report; dropped',
    );
    return;
  }
  ctx.scheduler?.onWorkerEvent(message.sender.id, event);
  const worker = ctx.workers.get(message.sender.id);
  if (worker !== undefined) noteCardHeat(worker, event);
  const { timestamp, seq: _seq, ...rest } = event;
  ctx.events.emit({ ...rest, worker_id: message.sender.id, detail: { ...event.detail, observed_at: timestamp } });
}

/** A heartbeat: the worker is alive, and says whether it takes new work. */
export function onHeartbeat(ctx: BrainContext, message: MessageOf<'heartbeat'>): void {
  const entry = ctx.workers.get(message.sender.id);
  if (entry === undefined || message.accepting === undefined || entry.accepting === message.accepting) return;
  entry.accepting = message.accepting;
  if (message.accepting) ctx.schedulePump();
}

/** The worker started an attempt. */
export function onTaskStarted(ctx: BrainContext, message: MessageOf<'task_started'>): void {
  ctx.transitions.markRunning(message.task_id, message.attempt, message.sender.id, { pid: message.pid });
}

/**
 * The worker reports how an attempt ended. It counts only from the connection the lease was given to: from a
 * connection not registered it is refused unacknowledged (a worker back after a brain restart sends it again
 * after its welcome), and one for a lease its sender does not hold is refused and recorded. Applied once; every
 * copy from the registered connection is acknowledged, so the worker can forget it.
 */
export function onTaskResult(ctx: BrainContext, identity: Buffer, message: MessageOf<'task_result'>): BrainEffect[] {
  const workerId = message.sender.id;
  if (!touchWorker(ctx, identity, message)) {
    refuseResult(ctx, message, 'connection_not_registered');
    return [];
  }
  // A short task's start is recorded from its result, once.
  ctx.transitions.markRunning(message.task_id, message.attempt, workerId, { reported_with_result: true });
  let result = message.result;
  const unsure =
    ctx.escalation === undefined || result.outcome !== 'completed' ? undefined : lowConfidence(ctx, result);
  const lowConfident = unsure !== undefined;
  if (unsure !== undefined) result = { ...result, outcome: 'failed', error_snippet: unsure };
  // A low-confidence answer is the escalation path's; any other failure no rule classifies, the brain model's.
  const judging = ctx.judge !== undefined && !lowConfident ? { maxPerTask: ctx.config.judge.max_per_task } : undefined;
  const effect = ctx.transitions.finish(message.task_id, message.attempt, result, workerId, judging);
  queueAck(ctx, workerId, identity, message.msg_id);
  if (effect.kind === 'stale') {
    if (!ownLateResult(ctx, message)) refuseResult(ctx, message, 'not_lease_holder');
    return [];
  }
  const worker = ctx.workers.get(workerId);
  if (worker !== undefined) {
    worker.leases.delete(message.task_id);
    worker.sent.delete(message.task_id);
    const runS = message.result.elapsed_seconds;
    worker.recentRunS = worker.recentRunS === undefined ? runS : 0.8 * worker.recentRunS + 0.2 * runS;
  }
  ctx.scheduler?.invalidate();
  ctx.schedulePump();
  if (effect.kind === 'too_long' && result.context_exceeded !== undefined)
    return rerouteTooLong(ctx, message.task_id, result.context_exceeded);
  const effects = [finished(message.task_id, effect)];
  if (lowConfident)
    effects.push({ kind: 'escalate', taskId: message.task_id, reason: 'low_confidence', otherwise: [] });
  return effects;
}

/**
 * Why a completed answer is not to be passed on, if it is not: its model marked it unsure, or its structured
 * confidence is below the configured threshold (the seed's brain uncertainty). The brain escalates it instead.
 */
function lowConfidence(ctx: BrainContext, result: AttemptResult): string | undefined {
  if (result.output?.includes(LOW_CONFIDENCE_MARKER) === true) return 'the model marked its answer as low confidence';
  const threshold = ctx.config.llm.confidence_threshold;
  if (result.confidence !== undefined && result.confidence < threshold)
    return `the model's confidence ${result.confidence} is below the threshold ${threshold}`;
  return undefined;
}

/** Acks ride on the next dispatch to the worker, or go alone at the end of the turn. */
function queueAck(ctx: BrainContext, workerId: string, identity: Buffer, msgId: string): void {
  const pending = ctx.pendingAcks.get(workerId);
  if (pending?.identity.equals(identity)) pending.msgIds.push(msgId);
  else {
    if (pending !== undefined) flushAcks(ctx, workerId);
    ctx.pendingAcks.set(workerId, { identity, msgIds: [msgId] });
  }
}

/** Send the acks still waiting for a dispatch to ride on (one worker, or all at the end of a turn). */
export function flushAcks(ctx: BrainContext, workerId?: string): void {
  const ids = workerId === undefined ? [...ctx.pendingAcks.keys()] : [workerId];
  for (const id of ids) {
    const pending = ctx.pendingAcks.get(id);
    ctx.pendingAcks.delete(id);
    if (pending === undefined) continue;
    for (const msgId of pending.msgIds) {
      ctx.router.send(
        pending.identity,
        createMessage('ack', brainSender(ctx), { detail: 'recorded', affected: [] }, msgId),
      );
    }
  }
}

/** A worker left on purpose: its leases go back to the queue now rather than after the liveness timeout. */
export function onGoodbye(ctx: BrainContext, message: MessageOf<'goodbye'>): BrainEffect[] {
  return dropWorker(ctx, message.sender.id, `worker ${message.sender.id} left: ${message.reason}`, 'worker_left')();
}

/** Heartbeat tick: workers silent for `liveness` intervals are dead; their leases go back to the queue at once. */
export function reapSilentWorkers(ctx: BrainContext): BrainEffect[] {
  const now = ctx.runtime.now();
  // A brain that was itself stalled (its tick late) cannot tell a silent worker from frames waiting unread in its
  // socket: it gives every worker a fresh window rather than take back leases from workers that are running them.
  if (ctx.workers.stalled(now, ctx.config.heartbeat_ms)) {
    for (const entry of ctx.workers.all()) entry.lastSeen = Math.max(entry.lastSeen, now);
    return [];
  }
  const deadline = now - ctx.config.heartbeat_ms * ctx.config.heartbeat_liveness;
  const lost: (() => BrainEffect[])[] = [];
  for (const entry of ctx.workers.all()) {
    if (entry.lastSeen < deadline) {
      const why = `worker ${entry.id} silent for ${ctx.config.heartbeat_liveness} heartbeats`;
      lost.push(dropWorker(ctx, entry.id, why, 'worker_lost'));
    }
  }
  // Every dead worker is announced before any of their leases is taken back (and announced requeued).
  return lost.flatMap((takeBack) => takeBack());
}

/**
 * Forget a worker, announcing it; returns what takes its leases back (each announced as it is taken), for the
 * caller to run once every worker it drops has been announced.
 */
function dropWorker(
  ctx: BrainContext,
  workerId: string,
  reason: string,
  type: 'worker_lost' | 'worker_left',
): () => BrainEffect[] {
  const entry = ctx.workers.get(workerId);
  if (entry === undefined) return () => [];
  ctx.workers.delete(workerId);
  ctx.scheduler?.onDrop(workerId);
  const leases = ctx.store.leases().filter((lease) => lease.worker_id === workerId);
  ctx.events.emit({
    event_type: type,
    worker_id: workerId,
    cause: reason,
    detail: { leases: leases.map((lease) => lease.task_id) },
  });
  ctx.schedulePump();
  return () => leases.flatMap((lease) => loseLease(ctx, workerId, lease, reason));
}
