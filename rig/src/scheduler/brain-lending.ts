import type { PlanState } from './plan-state.js';

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

/** Read the brain's needs from the ready, upcoming and running tasks. */
export function brainOutlook(state: PlanState): BrainOutlook {
  const { rig, nowS, knobs, upcoming, cards } = state.input;
  if (rig.brain === null) return { gpus: [], model: null, nextNeedS: Infinity, leadS: 0, reclaim: false, resident: false };
  const { gpus, model } = rig.brain;
  const leadS = rig.unloadS + (rig.models[model]?.loadS ?? 0) + knobs.reclaimMarginS;
  let nextNeedS = Infinity;
  if (state.pending.some((task) => task.executor === 'brain')) nextNeedS = nowS;
  if (cards.some((card) => card.running?.executor === 'brain')) nextNeedS = nowS;
  for (const task of upcoming) if (task.executor === 'brain') nextNeedS = Math.min(nextNeedS, task.etaS);
  const first = gpus[0] ?? -1;
  const group = state.groups.get(first)?.[model] ?? (state.modelsOn(first).includes(model) ? [first] : []);
  const resident = group.length === gpus.length && gpus.every((gpu) => group.includes(gpu) && state.modelsOn(gpu).includes(model));
  return { gpus, model, nextNeedS, leadS, reclaim: nextNeedS - nowS <= leadS, resident };
}

/**
 * Whether worker work may use brain cards `gpus` for `runS` seconds after a switch of `costS`. While the brain is
 * idle its cards are lent: a script beside the brain model (co-resident) costs the brain nothing; evicting the brain
 * model is worth it only when the worker backlog per card exceeds `lendFactor` times its reload. Either way the work
 * must end early enough for the brain model to be back before the brain needs it.
 */
export function mayLend(state: PlanState, brain: BrainOutlook, gpus: readonly number[], costS: number, runS: number, evictsBrain: boolean): boolean {
  if (!gpus.some((gpu) => brain.gpus.includes(gpu))) return true;
  const { nowS, knobs, rig } = state.input;
  if (state.pending.some((task) => task.executor === 'brain')) return false;
  const endS = nowS + costS + runS;
  if (!evictsBrain && brain.resident) return endS <= brain.nextNeedS;
  if (endS > brain.nextNeedS - brain.leadS) return false;
  // A switch on a card due back soon must buy at least as much work time as it costs.
  if (costS > 0 && brain.nextNeedS - brain.leadS - nowS - costS < costS) return false;
  if (!evictsBrain || brain.model === null) return true;
  const reload = rig.models[brain.model]?.loadS ?? 0;
  let backlog = 0;
  for (const task of state.pending) if (task.executor === 'worker' && task.taskClass !== 'cpu') backlog += task.estimateS;
  return backlog / Math.max(1, rig.cards.length) >= knobs.lendFactor * reload;
}
