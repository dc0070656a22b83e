import { ReadyQueue, type ReadyEntry } from '../brain/ready-queue.js';
import { freeingSet, groupOf } from './card-groups.js';
import type { CardView, Decision, SchedTask, SchedulerInput, SchedulerOutput } from './types.js';

/**
 * The seed's behaviour, kept for comparison: a free card takes the next task in the live brain's queue order
 * (the real {@link ReadyQueue}: resource, preferred class, other classes; effective priority with aging, then age,
 * then plan order), loading whatever that task needs and unloading whatever is there. Brain cards serve only the
 * brain; cpu tasks fill cpu slots. A task needing more cards than are free blocks its card's queue, as in the seed.
 */
export function naivePolicy(input: SchedulerInput): SchedulerOutput {
  const { rig, nowS } = input;
  const nowMs = nowS * 1000;
  const queue = new ReadyQueue(input.knobs.agingSPerPoint * 1000);
  const byId = new Map<string, SchedTask>();
  for (const task of input.ready) {
    byId.set(task.id, task);
    queue.add(toEntry(task));
  }
  const decisions: Decision[] = [];
  const take = (entry: ReadyEntry | undefined): SchedTask | undefined => {
    if (entry === undefined) return undefined;
    queue.remove(entry.task_id);
    return byId.get(entry.task_id);
  };

  for (let slots = input.cpuFree; slots > 0; slots -= 1) {
    const task = take(
      queue.pick({ classes: ['cpu'], executor: 'worker' }, nowMs) ??
        queue.pick({ classes: ['cpu'], executor: 'brain' }, nowMs),
    );
    if (task === undefined) break;
    decisions.push({ kind: 'start', taskId: task.id, gpus: [], unload: [], load: null });
  }

  const free = new Set(input.cards.filter((card) => card.busyUntilS === null).map((card) => card.gpu));
  const cardOf = new Map(input.cards.map((card) => [card.gpu, card]));
  const brainGpus = rig.brain?.gpus ?? [];
  const gpuClasses = ['script', 'llm'] as const;

  if (rig.brain !== null && brainGpus.every((gpu) => free.has(gpu))) {
    const task = take(queue.pick({ classes: [...gpuClasses], executor: 'brain' }, nowMs));
    if (task !== undefined) {
      decisions.push(place(task, [...brainGpus], cardOf));
      for (const gpu of brainGpus) free.delete(gpu);
    }
  }

  const workerCards = input.cards.filter((card) => !brainGpus.includes(card.gpu)).map((card) => card.gpu);
  for (const gpu of workerCards) {
    if (!free.has(gpu)) continue;
    const entry =
      queue.pick({ classes: [...gpuClasses], executor: 'worker' }, nowMs) ??
      (rig.brain === null ? queue.pick({ classes: [...gpuClasses], executor: 'brain' }, nowMs) : undefined);
    if (entry === undefined) break;
    const peeked = byId.get(entry.task_id);
    if (peeked === undefined) break;
    const width = peeked.model === null ? 1 : (rig.models[peeked.model]?.gpus ?? 1);
    const gpus = [gpu, ...workerCards.filter((other) => other !== gpu && free.has(other))].slice(0, width);
    // Head-of-line blocking: the seed's worker waits for the task it claimed.
    if (gpus.length < width) break;
    const decision = place(peeked, gpus, cardOf);
    if (decision.unload.some((other) => !free.has(other))) break;
    take(entry);
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
  if (ready && (model === null || groupOf(cardOf, gpus[0] ?? -1, model).length === gpus.length)) {
    return { kind: 'start', taskId: task.id, gpus: [...gpus], unload: [], load: null };
  }
  return { kind: 'start', taskId: task.id, gpus: [...gpus], unload: freeingSet(cardOf, gpus), load: model };
}

function toEntry(task: SchedTask): ReadyEntry {
  return {
    task_id: task.id,
    task_class: task.taskClass,
    executor: task.executor,
    priority: task.priority,
    queued_at: task.readyAtS * 1000,
    seq: task.seq,
  };
}
