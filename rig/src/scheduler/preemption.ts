import { switchCostS } from './rig-spec.js';
import type { PlanState } from './plan-state.js';
import type { SchedTask } from './types.js';

/**
 * For an urgent task no free card can take: the running lower-priority single-card task worth stopping, or
 * undefined. Waiting costs the time until the best card frees (plus its switch); preempting costs the switch on the
 * victim's card and the victim's work so far, which is redone. Preempt only when waiting costs more than
 * `preemptFactor` x the lost work + `preemptMarginS`. Brain tasks and urgent tasks are never victims.
 */
export function choosePreemption(
  state: PlanState,
  urgent: SchedTask,
  allowed: (gpu: number) => boolean,
): { victim: string; gpu: number } | undefined {
  const { nowS, knobs, rig, cards } = state.input;
  if (urgent.model !== null && (rig.models[urgent.model]?.gpus ?? 1) > 1) return undefined;
  const costOn = (gpu: number): number =>
    switchCostS(rig, state.cardOf.get(gpu)?.vramMb ?? 0, state.modelsOn(gpu), urgent.model);
  let naturalWait = Infinity;
  for (const card of cards) {
    if (!allowed(card.gpu)) continue;
    const freeAt = card.busyUntilS ?? nowS;
    naturalWait = Math.min(naturalWait, Math.max(0, freeAt - nowS) + costOn(card.gpu));
  }
  let best: { victim: string; gpu: number; gain: number } | undefined;
  for (const card of cards) {
    const running = card.running;
    if (running === null || !allowed(card.gpu) || running.gpus.length !== 1) continue;
    if (running.executor === 'brain' || running.priority >= urgent.priority || running.priority >= knobs.urgentPriority)
      continue;
    if (state.decisions.some((decision) => decision.kind === 'preempt' && decision.taskId === running.taskId)) continue;
    const lost = nowS - running.startedAtS;
    const gain = naturalWait - costOn(card.gpu) - (lost * knobs.preemptFactor + knobs.preemptMarginS);
    if (gain > 0 && (best === undefined || gain > best.gain)) best = { victim: running.taskId, gpu: card.gpu, gain };
  }
  return best === undefined ? undefined : { victim: best.victim, gpu: best.gpu };
}
