import { effectivePriority } from '../brain/ready-queue.js';
import { freeingSet, groupOf } from './card-groups.js';
import { ReadyIndex } from './ready-index.js';
import { canHold } from './rig-spec.js';
import type { CardView, Decision, SchedClass, SchedTask, SchedulerInput, SchedulerOutput } from './types.js';

/**
 * The seed's behaviour, kept for comparison: a free card takes the next task in the live brain's queue order
 * (resource, preferred class, other classes; effective priority with aging, then age, then plan order, comparing only
 * the first task of each executor, class and priority), loading whatever that task needs and unloading whatever is
 * there. Brain cards serve only the brain; cpu tasks fill cpu slots. A task needing more cards than are free blocks
 * its card's queue, as in the seed.
 */
export function naivePolicy(input: SchedulerInput): SchedulerOutput {
  const index = input.ready instanceof ReadyIndex ? input.ready : ReadyIndex.of(input.ready);
  try {
    return decide(input, index);
  } finally {
    index.seq.unhide();
  }
}

function decide(input: SchedulerInput, index: ReadyIndex): SchedulerOutput {
  const { rig, nowS } = input;
  const nowMs = nowS * 1000;
  const agingMs = input.knobs.agingSPerPoint * 1000;
  const taken = new Set<string>();
  /** The seed's pick: the best head by effective priority, then age, then plan order. */
  const pick = (classes: readonly SchedClass[], executor: 'brain' | 'worker'): SchedTask | undefined => {
    let best: SchedTask | undefined;
    let bestScore = -Infinity;
    for (const taskClass of classes) {
      for (let priority = 1; priority <= 10; priority += 1) {
        const head = index.seq.head(executor, taskClass, priority, taken);
        if (head === undefined) continue;
        const score = effectivePriority(entryOf(head), nowMs, agingMs);
        if (best === undefined || score > bestScore || (score === bestScore && olderThan(head, best))) {
          best = head;
          bestScore = score;
        }
      }
    }
    return best;
  };
  const take = (task: SchedTask | undefined): SchedTask | undefined => {
    if (task !== undefined) taken.add(task.id);
    return task;
  };
  const decisions: Decision[] = [];

  for (let slots = input.cpuFree; slots > 0; slots -= 1) {
    const task = take(pick(['cpu'], 'worker') ?? pick(['cpu'], 'brain'));
    if (task === undefined) break;
    decisions.push({ kind: 'start', taskId: task.id, gpus: [], unload: [], load: null });
  }

  const free = new Set(input.cards.filter((card) => card.busyUntilS === null).map((card) => card.gpu));
  const cardOf = new Map(input.cards.map((card) => [card.gpu, card]));
  const brainGpus = rig.brain?.gpus ?? [];
  const gpuClasses = ['script', 'llm'] as const;

  if (rig.brain !== null && brainGpus.every((gpu) => free.has(gpu))) {
    const task = pick(gpuClasses, 'brain');
    const decision = task === undefined ? undefined : place(task, [...brainGpus], cardOf);
    // Brain cards another policy lent (before a restart or a switch) may hold part of a worker's instance whose
    // partner is still busy: the brain task waits until that partner frees, as a worker task would.
    if (decision?.unload.every((other) => free.has(other))) {
      take(task);
      decisions.push(decision);
      for (const gpu of [...brainGpus, ...decision.unload]) free.delete(gpu);
    }
  }

  const workerCards = input.cards.filter((card) => !brainGpus.includes(card.gpu)).map((card) => card.gpu);
  for (const gpu of workerCards) {
    if (!free.has(gpu)) continue;
    const peeked = pick(gpuClasses, 'worker') ?? (rig.brain === null ? pick(gpuClasses, 'brain') : undefined);
    if (peeked === undefined) break;
    const width = peeked.model === null ? 1 : (rig.models[peeked.model]?.gpus ?? 1);
    // A card too small for the task's model does not claim it (it would fail to load); a larger card will.
    const extraMb = peeked.model === null ? peeked.vramMb : 0;
    const holds = (each: number): boolean => canHold(rig, cardOf.get(each)?.vramMb ?? 0, peeked.model, extraMb);
    if (!holds(gpu)) continue;
    const gpus = [gpu, ...workerCards.filter((other) => other !== gpu && free.has(other) && holds(other))].slice(
      0,
      width,
    );
    // Head-of-line blocking: the seed's worker waits for the task it claimed.
    if (gpus.length < width) break;
    const decision = place(peeked, gpus, cardOf);
    if (decision.unload.some((other) => !free.has(other))) break;
    take(peeked);
    decisions.push(decision);
    for (const used of [...gpus, ...decision.unload]) free.delete(used);
  }
  return { decisions, wakeAtS: null };
}

type Start = Extract<Decision, { kind: 'start' }>;

/** Run `task` on `gpus`, freeing and loading unless the exact model is already there. */
function place(task: SchedTask, gpus: readonly number[], cardOf: ReadonlyMap<number, CardView>): Start {
  const model = task.model;
  const ready = gpus.every((gpu) => {
    const models = cardOf.get(gpu)?.models ?? [];
    return model === null ? models.length === 0 : models.length === 1 && models[0] === model;
  });
  // The same model on each card is not enough for a multi-card model: the cards must hold one instance together.
  const group = model === null ? gpus : groupOf(cardOf, gpus[0] ?? -1, model);
  if (ready && group.length === gpus.length && group.every((gpu) => gpus.includes(gpu))) {
    return { kind: 'start', taskId: task.id, gpus: [...gpus], unload: [], load: null };
  }
  return { kind: 'start', taskId: task.id, gpus: [...gpus], unload: freeingSet(cardOf, gpus), load: model };
}

function entryOf(task: SchedTask) {
  return {
    task_id: task.id,
    task_class: task.taskClass,
    executor: task.executor,
    priority: task.priority,
    queued_at: task.readyAtS * 1000,
    seq: task.seq,
  };
}

/** The seed queue's tie-break: older first, then plan order. */
function olderThan(a: SchedTask, b: SchedTask): boolean {
  const qa = a.readyAtS * 1000;
  const qb = b.readyAtS * 1000;
  return qa < qb || (qa === qb && a.seq < b.seq);
}
