import type { HeldCard, RigEvent, WorkerInfo } from '@rigmind/protocol';
import type { CardView } from '../scheduler/types.js';
import type { CardBelief, CardBook } from './card-book.js';
import type { WorkerEntry } from './worker-registry.js';

/** The brain worker the live policy places work on: its model spans its cards, which it may lend when idle. */
export interface BrainCards {
  readonly worker: WorkerEntry;
  readonly model: string;
  readonly gpus: readonly number[];
}

/** Whether a worker runs the brain's model on cards of its own (an executor `brain` with `--model` and GPUs). */
export function isBrainWorker(info: WorkerInfo | undefined): info is WorkerInfo & { model: string } {
  return info !== undefined && info.executor === 'brain' && info.model !== undefined && info.gpus.length > 0;
}

/** The first connected brain worker, as the policy's `rig.brain`. */
export function brainCardsOf(workers: Iterable<WorkerEntry>): BrainCards | undefined {
  for (const worker of workers) {
    if (worker.identity !== undefined && isBrainWorker(worker.info))
      return { worker, model: worker.info.model, gpus: worker.info.gpus.map((gpu) => gpu.index) };
  }
  return undefined;
}

/**
 * A worker's cards in the book, registered (again) when the book has them under another worker. On the brain
 * worker (`brainModel` given) the brain model is on all its cards or none: a real card manager reports the 14B on
 * its first card only.
 */
export function beliefsOf(cards: CardBook, worker: WorkerEntry, brainModel?: string): CardBelief[] {
  const gpus = worker.info?.gpus ?? [];
  if (gpus.some((gpu) => cards.get(gpu.index)?.workerId !== worker.id)) cards.register(worker.id, gpus);
  const out: CardBelief[] = [];
  for (const gpu of gpus) {
    const card = cards.get(gpu.index);
    if (card === undefined) continue;
    // A run the worker no longer holds has ended (its result is in), or was taken back.
    if (card.run !== null && !worker.leases.has(card.run.taskId)) card.run = null;
    out.push(card);
  }
  if (brainModel !== undefined && out.some((card) => card.models.includes(brainModel)))
    for (const card of out) card.models = [brainModel];
  return out;
}

/**
 * The policy's view of one worker's cards. A worker with a lease is busy on all its cards (a brain worker runs one
 * thing at a time: its brain task on both cards, or one lent card's script, so the other waits); busy until the
 * latest expected end. With `brainModel`, the brain model on the cards is one instance spanning them all.
 */
export function viewsOf(
  worker: WorkerEntry,
  cards: readonly CardBelief[],
  nowS: number,
  brainModel?: string,
): CardView[] {
  const busy = worker.leases.size > 0 || !worker.accepting;
  let endS = nowS + 1;
  for (const card of cards) if (card.run !== null) endS = Math.max(endS, card.run.startedAtS + card.run.estimateS);
  const brainOn = brainModel !== undefined && cards.some((card) => card.models.includes(brainModel));
  const gpus = cards.map((card) => card.gpu);
  return cards.map((card) => ({
    gpu: card.gpu,
    vramMb: card.vramMb,
    models: [...card.models],
    groups: brainOn && gpus.length > 1 ? { [brainModel]: gpus } : {},
    busyUntilS: busy ? endS : null,
    running:
      card.run === null
        ? null
        : {
            taskId: card.run.taskId,
            priority: card.run.priority,
            executor: card.run.executor,
            model: card.run.model,
            gpus: card.run.executor === 'brain' ? gpus : [card.gpu],
            startedAtS: card.run.startedAtS,
          },
  }));
}

/**
 * Follow a worker's gpu_thermal events: a card reported `hot` is held (its guard gives it no new work) until it
 * reports `cooled`; every reading on the way keeps its temperature current for `status`.
 */
export function noteCardHeat(worker: WorkerEntry, event: RigEvent): void {
  if (event.event_type !== 'gpu_thermal' || event.gpu_id == null) return;
  const kind = event.detail?.['kind'];
  const reading = event.detail?.['temperature_c'];
  const temperature = typeof reading === 'number' ? reading : null;
  if (kind === 'cooled') worker.heat.delete(event.gpu_id);
  else if (kind === 'hot' || worker.heat.has(event.gpu_id)) {
    worker.heat.set(event.gpu_id, temperature ?? worker.heat.get(event.gpu_id) ?? null);
  }
}

/**
 * A worker registered saying which of its cards its guard holds: the brain holds those and only those, as their
 * `hot` events would have. A brain that reaped the worker or restarted heard none of them, and the worker sends
 * `hot` once per excursion. An older worker's register says nothing (`undefined`), and what the brain knew stands.
 */
export function restoreCardHeat(worker: WorkerEntry, held: readonly HeldCard[] | undefined): void {
  if (held === undefined) return;
  const own = new Set(worker.info?.gpus.map((gpu) => gpu.index));
  worker.heat.clear();
  for (const card of held) if (own.has(card.gpu)) worker.heat.set(card.gpu, card.temperature_c);
}
