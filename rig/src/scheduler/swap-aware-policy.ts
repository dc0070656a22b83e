import { brainOutlook, lastLentTask, lendsModel, mayLend, type BrainOutlook } from './brain-lending.js';
import { PlanState, type Placement } from './plan-state.js';
import { choosePreemption } from './preemption.js';
import { mayLoadBeside } from './rig-spec.js';
import { WarmCards } from './warm-cards.js';
import { drain, upcomingDemand, weightedDemand } from './demand.js';
import type { SchedTask, SchedulerInput, SchedulerKnobs, SchedulerOutput } from './types.js';

/** The gain given to an idle card taking ready work nobody serves: above the hysteresis, below any real gain. */
const IDLE_GAIN_S = 1e-6;

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
  const warm = new WarmCards(state, brain);
  placeOverdue(state, brain, warm);
  placeWide(state, brain);
  placeSwitches(state, brain, warm);
  placeWarm(state, brain);
  return { decisions: state.decisions, wakeAtS: nextWake(state, brain) };
}

function placeCpu(state: PlanState): void {
  const walk = state.walk(state.cpuBooks());
  for (let slots = state.input.cpuFree; slots > 0; slots -= 1) {
    const task = walk.next();
    if (task === undefined) return;
    state.commit({ gpus: [], unload: [], load: null, costS: 0 }, task);
  }
}

function placeBrain(state: PlanState, brain: BrainOutlook): void {
  if (brain.model === null) return;
  const allFree = brain.gpus.every((gpu) => state.free.has(gpu));
  const next = state.walk(state.brainBooks()).next();
  if (next !== undefined && allFree) {
    const placement = state.placementOn(brain.gpus, brain.model);
    if (placement !== undefined) state.commit(placement, next);
  } else if (brain.reclaim && !brain.resident && allFree) {
    const placement = state.placementOn(brain.gpus, brain.model);
    if (placement !== undefined) state.commit(placement, null, brain.model);
  }
  // Cards of a brain that needs them wait for their partners rather than take worker work that would delay it.
  if ((next !== undefined || (brain.reclaim && !brain.resident)) && !allFree) {
    for (const gpu of brain.gpus) state.held.add(gpu);
    // Until the last partner frees, a waiting card may still run urgent work that ends by then (see gapPlacement).
    const partnersFreeAt = Math.max(...brain.gpus.map((gpu) => state.cardOf.get(gpu)?.busyUntilS ?? -Infinity));
    for (const gpu of brain.gpus) if (state.free.has(gpu)) state.gapUntil.set(gpu, partnersFreeAt);
  }
}

/**
 * An urgent task on a brain card that waits for its partner, when it ends before the partner frees and leaves
 * nothing the brain must wait to unload: the brain loses nothing, and the task may start sooner than elsewhere.
 */
function gapPlacement(state: PlanState, brain: BrainOutlook, task: SchedTask): Placement | undefined {
  const { nowS, rig } = state.input;
  if (!lendsModel(rig, brain, task.model)) return undefined;
  let best: Placement | undefined;
  for (const [gpu, until] of state.gapUntil) {
    if (!state.free.has(gpu)) continue;
    const placement = state.placementOn([gpu], task.model, task.vramMb);
    if (placement === undefined) continue;
    // Never evict a resident brain model for it: that would cost the brain a whole reload.
    if (brain.resident && placement.unload.length > 0) continue;
    // What it leaves on the card must not delay the brain: it fits beside the brain's model, or a partner must be
    // freed of its own models anyway (both unload at once).
    const left = placement.load === null ? [] : [placement.load];
    const partnersUnload = brain.gpus.some((g) => g !== gpu && state.modelsOn(g).some((m) => m !== brain.model));
    if (brain.model !== null && left.length > 0 && !partnersUnload) {
      const card = rig.cards.find((c) => c.gpu === gpu);
      if (card === undefined || !mayLoadBeside(rig, card.vramMb, left, brain.model)) continue;
    }
    if (nowS + placement.costS + task.estimateS > until) continue;
    if (best === undefined || placement.costS < best.costS) best = placement;
  }
  return best;
}

/** Cheapest placement of a worker task on the available cards that the brain allows. */
function bestPlacement(state: PlanState, brain: BrainOutlook, task: SchedTask): Placement | undefined {
  const { rig } = state.input;
  const width = task.model === null ? 1 : (rig.models[task.model]?.gpus ?? 1);
  const cards = state.available();
  // With no brain task in sight, between equal cards a worker card goes first: a brain task may arrive unannounced,
  // and a lent card must then be freed for it.
  const lends = (placement: Placement): boolean =>
    brain.nextNeedS === Infinity && placement.gpus.some((gpu) => brain.gpus.includes(gpu));
  const sets = width === 1 ? cards.map((gpu) => [gpu]) : cards.length >= width ? windows(cards, width) : [];
  let best: Placement | undefined;
  for (const gpus of sets) {
    const placement = state.placementOn(gpus, task.model, task.vramMb);
    if (placement === undefined) continue;
    const evicts = brain.model !== null && placement.unload.some((gpu) => brain.gpus.includes(gpu)) && brain.resident;
    if (!mayLend(state, brain, gpus, task.model, placement.costS, task.estimateS, evicts)) continue;
    if (
      best === undefined ||
      placement.costS < best.costS ||
      (placement.costS === best.costS && lends(best) && !lends(placement))
    )
      best = placement;
  }
  return best;
}

/**
 * Overdue tasks, urgent ones first: an urgent task (bound 0 s) may wait for a busy card holding its model (see
 * `WarmCards`), and that card must then be its own when it frees, not go to older work whose aging outranks it.
 */
function placeOverdue(state: PlanState, brain: BrainOutlook, warm: WarmCards): void {
  overduePass(state, brain, warm, true);
  overduePass(state, brain, warm, false);
}

function overduePass(state: PlanState, brain: BrainOutlook, warm: WarmCards, urgentPass: boolean): void {
  const { nowS, knobs } = state.input;
  const urgent = (priority: number): boolean => priority >= knobs.urgentPriority;
  // Each bucket is oldest first, so its overdue tasks come first.
  const walk = state.walk(state.workerBooks(), (task) => nowS - task.readyAtS >= maxWaitS(task.priority, knobs));
  // The urgent pass walks urgent buckets only; the second pass the others (the urgent ones were all dealt with).
  walk.setAside((bucket) => urgent(bucket.priority) !== urgentPass);
  let aside = false;
  for (;;) {
    // With no card left, only an urgent task can do anything (preempt): the others are not walked meanwhile.
    if (!urgentPass) {
      const none = state.available().length === 0;
      if (none && !aside) return;
      aside = none;
    }
    const task = walk.next();
    if (task === undefined) return;
    const free = bestPlacement(state, brain, task);
    const gap = urgentPass ? gapPlacement(state, brain, task) : undefined;
    const placement = gap !== undefined && (free === undefined || gap.costS < free.costS) ? gap : free;
    // An urgent task waits for a busy card that holds its model when that card starts it sooner than a switch here.
    if (urgentPass && placement !== undefined && warm.claim(task, placement.costS)) continue;
    if (placement !== undefined) {
      state.commit(placement, task);
      continue;
    }
    if (urgentPass) {
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
      // Not worth preempting (which weighed waiting for the soonest card): wait for a card holding the model.
      if (warm.claim(task, Infinity)) continue;
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
    // Only a script with no model, or a task whose model a free card holds, can start without a switch.
    const held = new Set(state.available().flatMap((gpu) => state.modelsOn(gpu)));
    const walk = state.walk(state.workerBooks().filter((book) => book.model === null || held.has(book.model)));
    for (let task = walk.next(); task !== undefined; task = walk.next()) {
      const placement = bestPlacement(state, brain, task);
      if (placement === undefined || placement.load !== null || placement.unload.length > 0) continue;
      state.commit(placement, task);
      placed = true;
      break;
    }
  }
}

/**
 * Balance cards across models: move a free card from its model to another when that lowers the longer of the two
 * models' drain times (work per instance, the switch counted as work). Repeated while some move helps, so the
 * cards end up split in proportion to the work ahead, and each model is loaded as few times as that allows.
 */
function placeSwitches(state: PlanState, brain: BrainOutlook, warm: WarmCards): void {
  const { rig, knobs } = state.input;
  const upcoming = upcomingDemand(state);
  for (;;) {
    const { demand, tails } = weightedDemand(state, upcoming);
    let best: { gpu: number; model: string | null; placement: Placement; gain: number } | undefined;
    for (const gpu of state.available()) {
      const current =
        state.modelsOn(gpu).find((model) => (rig.models[model]?.gpus ?? 1) === 1 && (demand.get(model) ?? 0) > 0) ??
        null;
      const curServers = current === null ? 0 : serving(state, brain, current);
      const curDemand = current === null ? 0 : (demand.get(current) ?? 0);
      // A card holding a model that others also hold, with only upcoming work for it, is spare as an idle one is.
      const spare = current === null || (curServers > 1 && state.firstWorkerTask(current) === undefined);
      for (const [model, work] of demand) {
        if (model !== null && ((rig.models[model]?.gpus ?? 1) > 1 || state.modelsOn(gpu).includes(model))) continue;
        const placement = state.placementOn([gpu], model);
        if (placement === undefined || (model === null && placement.unload.length === 0)) continue;
        const task = state.firstWorkerTask(model);
        const evicts = placement.unload.some((g) => brain.gpus.includes(g)) && brain.resident;
        if (!mayLend(state, brain, [gpu], model, placement.costS, task?.estimateS ?? 0, evicts)) continue;
        const servers = model === null ? 0 : serving(state, brain, model);
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
        // The join penalty keeps a card serving other work from moving for little; a card with nothing to do gives
        // up nothing, so it joins as soon as that shortens the drain (the switch is already counted as work).
        const penalised = servers > 0 && current !== null;
        let gain = before - after - (penalised ? placement.costS * (knobs.joinFactor - 1) : 0);
        // Ready work nobody serves, and a card with nothing to do: waiting makes the switch no cheaper, so the card
        // takes it, last among the moves that help (a small task weighs less than its switch, and waited till overdue).
        if (spare && servers === 0 && task !== undefined) gain = Math.max(gain, knobs.minGainS + IDLE_GAIN_S);
        const better =
          best === undefined ||
          gain > best.gain ||
          (gain === best.gain &&
            brain.nextNeedS === Infinity &&
            brain.gpus.includes(best.gpu) &&
            !brain.gpus.includes(gpu));
        if (gain > knobs.minGainS && better) best = { gpu, model, placement, gain };
      }
    }
    if (best === undefined) return;
    const task = state.firstWorkerTask(best.model);
    // A card joining a served model loads it ahead rather than take a task that a card holding it starts sooner.
    const sooner =
      task !== undefined &&
      best.model !== null &&
      warm.soonest(best.model, task.estimateS) < state.input.nowS + best.placement.costS;
    if (task !== undefined && !sooner) state.commit(best.placement, task);
    else if (best.model !== null) state.commit(best.placement, null, best.model);
    else return;
  }
}

/**
 * The instances of `model` that can run its worker work now: a brain card holding it beside other models counts only
 * while it may be lent for the model's next task. Counting a card the brain keeps back would leave the model's work
 * with no card, waiting till overdue, when the brain's own next task waits on that very work.
 */
function serving(state: PlanState, brain: BrainOutlook, model: string): number {
  const servers = state.servers(model);
  if (model === brain.model || (state.input.rig.models[model]?.gpus ?? 1) > 1) return servers;
  const task = state.firstWorkerTask(model);
  let kept = 0;
  for (const gpu of brain.gpus)
    if (state.modelsOn(gpu).includes(model) && !mayLend(state, brain, [gpu], model, 0, task?.estimateS ?? 0, false))
      kept += 1;
  return servers - kept;
}

/** Worker tasks on models spanning several cards (a worker 14B): placed whole when enough cards are free. */
function placeWide(state: PlanState, brain: BrainOutlook): void {
  const { rig } = state.input;
  const wide = state.workerBooks().filter((book) => book.model !== null && (rig.models[book.model]?.gpus ?? 1) > 1);
  const walk = state.walk(wide);
  // Fewer than two free cards fit no multi-card model, and none come free here.
  for (let task = walk.next(); task !== undefined && state.available().length >= 2; task = walk.next()) {
    const placement = bestPlacement(state, brain, task);
    if (placement !== undefined) state.commit(placement, task);
  }
}

function nextWake(state: PlanState, brain: BrainOutlook): number | null {
  const { nowS, knobs } = state.input;
  let wake = Infinity;
  const books = [...state.workerBooks(), ...state.brainBooks(), ...state.cpuBooks()];
  for (const book of books) {
    if (state.count(book) === 0) continue;
    for (const bucket of book.buckets.values()) {
      // Oldest first, so the first task not yet due is the bucket's soonest deadline.
      const waitS = maxWaitS(bucket.priority, knobs);
      const walk = state.walkFrom(
        bucket,
        bucket.firstAbove(nowS, (task) => task.readyAtS + waitS),
      );
      const task = walk.next();
      if (task !== undefined) wake = Math.min(wake, task.readyAtS + waitS);
    }
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
