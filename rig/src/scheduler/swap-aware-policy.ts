import { brainOutlook, lastLentTask, mayLend, type BrainOutlook } from './brain-lending.js';
import { PlanState, type Placement } from './plan-state.js';
import { choosePreemption } from './preemption.js';
import type { SchedTask, SchedulerInput, SchedulerKnobs, SchedulerOutput } from './types.js';

/** A task's longest wait before it is placed regardless of batching. */
export function maxWaitS(priority: number, knobs: SchedulerKnobs): number {
  if (priority >= knobs.urgentPriority) return knobs.maxWaitS.urgent;
  if (priority >= 6) return knobs.maxWaitS.high;
  if (priority >= 4) return knobs.maxWaitS.normal;
  return knobs.maxWaitS.low;
}

/**
 * The default policy. In order: cpu work into cpu slots; the brain's tasks on its cards (and the brain model
 * reloaded ahead of its next task); overdue tasks (waited past their bound; urgent ones at once, preempting when
 * worth it) on the cheapest card; multi-card worker models; then balancing: free cards move between models while
 * that shortens the longest drain time (loading ahead for upcoming work when nothing is ready); finally batching:
 * each free card runs the next task of a model it holds, or a script that fits beside.
 */
export function swapAwarePolicy(input: SchedulerInput): SchedulerOutput {
  const state = new PlanState(input);
  const brain = brainOutlook(state);
  placeCpu(state);
  placeBrain(state, brain);
  placeOverdue(state, brain);
  placeWide(state, brain);
  placeSwitches(state, brain);
  placeWarm(state, brain);
  return { decisions: state.decisions, wakeAtS: nextWake(state, brain) };
}

function placeCpu(state: PlanState): void {
  let slots = state.input.cpuFree;
  for (const task of state.pending.filter((t) => t.taskClass === 'cpu')) {
    if (slots <= 0) return;
    state.commit({ gpus: [], unload: [], load: null, costS: 0 }, task);
    slots -= 1;
  }
}

function placeBrain(state: PlanState, brain: BrainOutlook): void {
  if (brain.model === null) return;
  const allFree = brain.gpus.every((gpu) => state.free.has(gpu));
  const next = state.pending.find((task) => task.executor === 'brain' && task.taskClass !== 'cpu');
  if (next !== undefined && allFree) {
    const placement = state.placementOn(brain.gpus, brain.model);
    if (placement !== undefined) state.commit(placement, next);
  } else if (brain.reclaim && !brain.resident && allFree) {
    const placement = state.placementOn(brain.gpus, brain.model);
    if (placement !== undefined) state.commit(placement, null, brain.model);
  }
  // Cards of a brain that needs them wait for their partners rather than take worker work that would delay it.
  if ((next !== undefined || (brain.reclaim && !brain.resident)) && !allFree)
    for (const gpu of brain.gpus) state.held.add(gpu);
}

/** Cheapest placement of a worker task on the available cards that the brain allows. */
function bestPlacement(state: PlanState, brain: BrainOutlook, task: SchedTask): Placement | undefined {
  const { rig } = state.input;
  const width = task.model === null ? 1 : (rig.models[task.model]?.gpus ?? 1);
  const cards = state.available();
  const sets = width === 1 ? cards.map((gpu) => [gpu]) : cards.length >= width ? windows(cards, width) : [];
  let best: Placement | undefined;
  for (const gpus of sets) {
    const placement = state.placementOn(gpus, task.model, task.vramMb);
    if (placement === undefined) continue;
    const evicts = brain.model !== null && placement.unload.some((gpu) => brain.gpus.includes(gpu)) && brain.resident;
    if (!mayLend(state, brain, gpus, task.model, placement.costS, task.estimateS, evicts)) continue;
    if (best === undefined || placement.costS < best.costS) best = placement;
  }
  return best;
}

function placeOverdue(state: PlanState, brain: BrainOutlook): void {
  const { nowS, knobs } = state.input;
  for (const task of [...state.pending]) {
    if (task.executor === 'brain' || task.taskClass === 'cpu' || nowS - task.readyAtS < maxWaitS(task.priority, knobs))
      continue;
    const placement = bestPlacement(state, brain, task);
    if (placement !== undefined) {
      state.commit(placement, task);
      continue;
    }
    if (task.priority >= knobs.urgentPriority) {
      const allowed = (gpu: number): boolean =>
        !state.held.has(gpu) && mayLend(state, brain, [gpu], task.model, 0, task.estimateS, false);
      const chosen = choosePreemption(state, task, allowed);
      if (chosen !== undefined) {
        state.decisions.push({ kind: 'preempt', taskId: chosen.victim });
        state.free.add(chosen.gpu);
        const onVictim = state.placementOn([chosen.gpu], task.model, task.vramMb);
        if (onVictim !== undefined) state.commit(onVictim, task);
        continue;
      }
    }
    // Bounded wait: an overdue task keeps the free cards it could use, so they are not given to fresher work.
    for (const gpu of state.available())
      if (state.placementOn([gpu], task.model, task.vramMb) !== undefined || task.model === null) state.held.add(gpu);
  }
}

function placeWarm(state: PlanState, brain: BrainOutlook): void {
  for (const gpu of brain.gpus) {
    if (!state.available().includes(gpu)) continue;
    const last = lastLentTask(state, brain, gpu);
    if (!last.decided) continue;
    // Decided: this card runs the balancing last task or nothing, so ordinary batching must not fill it.
    if (last.task !== undefined) state.commit({ gpus: [gpu], unload: [], load: null, costS: 0 }, last.task);
    else state.held.add(gpu);
  }
  let placed = true;
  while (placed) {
    placed = false;
    for (const task of state.pending) {
      if (task.executor === 'brain' || task.taskClass === 'cpu') continue;
      const placement = bestPlacement(state, brain, task);
      if (placement === undefined || placement.load !== null || placement.unload.length > 0) continue;
      state.commit(placement, task);
      placed = true;
      break;
    }
  }
}

/** Seconds of weighted work per instance of `model`; a model with work and no instance waits a load and more. */
function drain(
  state: PlanState,
  model: string | null,
  demand: number,
  servers: number,
  tails: ReadonlyMap<string | null, number>,
): number {
  if (demand <= 0) return 0;
  const tail = tails.get(model) ?? 0;
  if (servers <= 0)
    return (
      state.input.knobs.unservedFactor * (demand + (model === null ? 0 : (state.input.rig.models[model]?.loadS ?? 0))) +
      tail
    );
  return demand / servers + tail;
}

/**
 * Balance cards across models: move a free card from its model to another when that lowers the longer of the two
 * models' drain times (work per instance, the switch counted as work). Repeated while some move helps, so the
 * cards end up split in proportion to the work ahead, and each model is loaded as few times as that allows.
 */
function placeSwitches(state: PlanState, brain: BrainOutlook): void {
  const { rig, knobs } = state.input;
  for (;;) {
    const { demand, tails } = weightedDemand(state);
    let best: { gpu: number; model: string | null; placement: Placement; gain: number } | undefined;
    for (const gpu of state.available()) {
      const current =
        state.modelsOn(gpu).find((model) => (rig.models[model]?.gpus ?? 1) === 1 && (demand.get(model) ?? 0) > 0) ??
        null;
      const curServers = current === null ? 0 : state.servers(current);
      const curDemand = current === null ? 0 : (demand.get(current) ?? 0);
      for (const [model, work] of demand) {
        if (model !== null && ((rig.models[model]?.gpus ?? 1) > 1 || state.modelsOn(gpu).includes(model))) continue;
        const placement = state.placementOn([gpu], model);
        if (placement === undefined || (model === null && placement.unload.length === 0)) continue;
        const task = state.pending.find((t) => t.executor === 'worker' && t.taskClass !== 'cpu' && t.model === model);
        const evicts = placement.unload.some((g) => brain.gpus.includes(g)) && brain.resident;
        if (!mayLend(state, brain, [gpu], model, placement.costS, task?.estimateS ?? 0, evicts)) continue;
        const servers = model === null ? 0 : state.servers(model);
        const losesCurrent = current !== null && placement.unload.length > 0;
        const before = Math.max(
          drain(state, current, curDemand, curServers, tails),
          drain(state, model, work, servers, tails),
        );
        const after = Math.max(
          losesCurrent
            ? drain(state, current, curDemand, curServers - 1, tails)
            : drain(state, current, curDemand, curServers, tails),
          drain(state, model, work + placement.costS, servers + 1, tails),
        );
        const gain = before - after - (servers > 0 ? placement.costS * (knobs.joinFactor - 1) : 0);
        if (gain > knobs.minGainS && (best === undefined || gain > best.gain)) best = { gpu, model, placement, gain };
      }
    }
    if (best === undefined) return;
    const task = state.pending.find((t) => t.executor === 'worker' && t.taskClass !== 'cpu' && t.model === best.model);
    if (task !== undefined) state.commit(best.placement, task);
    else if (best.model !== null) state.commit(best.placement, null, best.model);
    else return;
  }
}

/** Per model: ready worker work plus work due within the lookahead, weighted by priority (5 counts 1). */
function weightedDemand(state: PlanState): { demand: Map<string | null, number>; tails: Map<string | null, number> } {
  const { nowS, knobs } = state.input;
  const demand = new Map<string | null, number>();
  const tails = new Map<string | null, number>();
  const add = (task: SchedTask): void => {
    demand.set(task.model, (demand.get(task.model) ?? 0) + task.estimateS * (task.priority / 5));
    tails.set(task.model, Math.max(tails.get(task.model) ?? 0, task.tailS));
  };
  for (const task of state.pending) if (task.executor === 'worker' && task.taskClass !== 'cpu') add(task);
  for (const task of state.input.upcoming) {
    if (
      task.executor === 'worker' &&
      task.taskClass !== 'cpu' &&
      task.model !== null &&
      task.etaS - nowS <= knobs.lookaheadS
    )
      add(task);
  }
  return { demand, tails };
}

/** Worker tasks on models spanning several cards (a worker 14B): placed whole when enough cards are free. */
function placeWide(state: PlanState, brain: BrainOutlook): void {
  const { rig } = state.input;
  for (const task of [...state.pending]) {
    if (task.executor === 'brain' || task.model === null || (rig.models[task.model]?.gpus ?? 1) === 1) continue;
    const placement = bestPlacement(state, brain, task);
    if (placement !== undefined) state.commit(placement, task);
  }
}

function nextWake(state: PlanState, brain: BrainOutlook): number | null {
  const { nowS, knobs } = state.input;
  let wake = Infinity;
  for (const task of state.pending) {
    const due = task.readyAtS + maxWaitS(task.priority, knobs);
    if (due > nowS) wake = Math.min(wake, due);
  }
  const reclaimAt = brain.nextNeedS - brain.leadS;
  if (reclaimAt > nowS) wake = Math.min(wake, reclaimAt);
  return Number.isFinite(wake) ? wake : null;
}

function windows(cards: readonly number[], width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + width <= cards.length; i += 1) out.push(cards.slice(i, i + width));
  return out;
}
