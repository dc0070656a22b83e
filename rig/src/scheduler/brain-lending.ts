import type { PlanState } from './plan-state.js';
import type { RigSpec, SchedTask, SchedulerKnobs } from './types.js';

/** What the swap-aware policy knows about the brain's cards during one decision. */
export interface BrainOutlook {
  readonly gpus: readonly number[];
  readonly model: string | null;
  /** When the brain next needs its cards (now if a brain task is ready or running; Infinity if none is known). */
  readonly nextNeedS: number;
  /** Seconds to get the brain model back on its cards: free them and load it, plus the margin. */
  readonly leadS: number;
  /** Whether the brain model should be on its cards now or be loading there. */
  readonly reclaim: boolean;
  /** Whether the brain model is resident on exactly its cards. */
  readonly resident: boolean;
}

/** Seconds to get the brain's model back on its cards: free them, load it, plus the reclaim margin. */
export function brainLeadS(rig: RigSpec, knobs: SchedulerKnobs): number {
  return rig.brain === null ? 0 : rig.unloadS + (rig.models[rig.brain.model]?.loadS ?? 0) + knobs.reclaimMarginS;
}

/** Read the brain's needs from the ready, upcoming and running tasks. */
export function brainOutlook(state: PlanState): BrainOutlook {
  const { rig, nowS, knobs, upcoming, cards } = state.input;
  if (rig.brain === null)
    return { gpus: [], model: null, nextNeedS: Infinity, leadS: 0, reclaim: false, resident: false };
  const { gpus, model } = rig.brain;
  const leadS = brainLeadS(rig, knobs);
  let nextNeedS = Infinity;
  if (state.brainPending()) nextNeedS = nowS;
  if (cards.some((card) => card.running?.executor === 'brain')) nextNeedS = nowS;
  for (const task of upcoming) if (task.executor === 'brain') nextNeedS = Math.min(nextNeedS, task.etaS);
  const first = gpus[0] ?? -1;
  const group = state.groups.get(first)?.[model] ?? (state.modelsOn(first).includes(model) ? [first] : []);
  const resident =
    group.length === gpus.length && gpus.every((gpu) => group.includes(gpu) && state.modelsOn(gpu).includes(model));
  return { gpus, model, nextNeedS, leadS, reclaim: nextNeedS - nowS <= leadS, resident };
}

/** Whether a brain card may run worker work on `model` at all: not a worker LLM where the rig cannot pin one. */
export function lendsModel(rig: RigSpec, brain: BrainOutlook, model: string | null): boolean {
  return !(rig.lendsLlm === false && model !== null && model !== brain.model && rig.models[model]?.kind === 'llm');
}

/**
 * Whether worker work on `model` may use brain cards `gpus` for `runS` seconds after a switch of `costS`. While the
 * brain is idle its cards are lent: a script beside the brain model (co-resident) costs the brain nothing; evicting
 * the brain model is worth it only when the worker backlog per card exceeds `lendFactor` times its reload. Either
 * way the work must end early enough for the brain model to be back before the brain needs it.
 */
export function mayLend(
  state: PlanState,
  brain: BrainOutlook,
  gpus: readonly number[],
  model: string | null,
  costS: number,
  runS: number,
  evictsBrain: boolean,
): boolean {
  if (!gpus.some((gpu) => brain.gpus.includes(gpu))) return true;
  const { nowS, knobs, rig } = state.input;
  if (!lendsModel(rig, brain, model)) return false;
  if (state.brainPending()) return false;
  // A rig of brain cards alone: worker work has nowhere else to go, and the brain's next task may be waiting on it.
  if (rig.cards.every((card) => brain.gpus.includes(card.gpu))) return true;
  const endS = nowS + costS + runS;
  if (!evictsBrain && brain.resident) return endS <= brain.nextNeedS;
  if (endS > brain.nextNeedS - brain.leadS) return false;
  // A switch on a card due back soon must buy enough work time to pay for itself: an LLM loaded for one task before
  // the reclaim costs more card time than it saves.
  if (costS > 0 && brain.nextNeedS - brain.leadS - nowS - costS < costS * knobs.lendPaybackFactor) return false;
  if (!evictsBrain || brain.model === null) return true;
  const reload = rig.models[brain.model]?.loadS ?? 0;
  let backlog = 0;
  for (const book of state.workerBooks()) backlog += state.work(book);
  return backlog / Math.max(1, rig.cards.length) >= knobs.lendFactor * reload;
}

/**
 * The last task a lent brain card should run before the reclaim, or undefined to let it go idle (or to leave the
 * choice to ordinary batching when more than one task still fits). When no two of its model's ready tasks fit in the
 * time left before the brain model must be reloaded, running a task of d seconds delays the brain by d - window
 * (if it overruns) and leaves window - d less for the worker cards holding that model to share; the task balancing
 * the two is the one that ends the batch soonest. A task may overrun the window by less than it saves the others.
 * Candidates are the model's ready tasks of the highest priority among them.
 */
export function lastLentTask(
  state: PlanState,
  brain: BrainOutlook,
  gpu: number,
): { readonly decided: boolean; readonly task: SchedTask | undefined } {
  const { nowS, rig } = state.input;
  const undecided = { decided: false, task: undefined };
  if (!brain.gpus.includes(gpu) || brain.model === null || state.modelsOn(gpu).includes(brain.model)) return undecided;
  if (state.brainPending()) return undecided;
  const windowS = brain.nextNeedS - brain.leadS - nowS;
  const model = state.modelsOn(gpu)[0];
  if (!(windowS > 0) || model === undefined) return undecided;
  // Only among the most important of the model's ready tasks: balancing must not let a long low-priority task overtake.
  const candidates: SchedTask[] = [];
  const book = state.index.book('worker', model);
  for (let priority = 10; book !== undefined && priority >= 1 && candidates.length === 0; priority -= 1) {
    const bucket = book.buckets.get(priority);
    if (bucket === undefined) continue;
    const walk = state.walkFrom(bucket);
    for (let task = walk.next(); task !== undefined; task = walk.next()) candidates.push(task);
  }
  const [shortest, next] = candidates.map((task) => task.estimateS).sort((a, b) => a - b);
  if (shortest === undefined || windowS >= shortest + (next ?? Infinity)) return undecided;
  let workers = 0;
  for (const card of rig.cards)
    if (!brain.gpus.includes(card.gpu) && state.modelsOn(card.gpu).includes(model)) workers += 1;
  const cost = (runS: number): number => Math.max(runS - windowS, (windowS - runS) / Math.max(1, workers));
  let best: SchedTask | undefined;
  let bestCost = cost(0);
  for (const task of candidates) {
    if (cost(task.estimateS) < bestCost) {
      bestCost = cost(task.estimateS);
      best = task;
    }
  }
  return { decided: true, task: best };
}
