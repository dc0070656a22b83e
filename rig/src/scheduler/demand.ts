import type { PlanState } from './plan-state.js';
import { weightOf, type ModelBook } from './ready-index.js';
import type { SchedTask } from './types.js';

// What the swap-aware policy's balancing weighs: the work ahead of each model, and how long its instances take to
// drain it.

/** Seconds of weighted work per instance of `model`; a model with work and no instance waits a load and more. */
export function drain(
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
 * Per model: ready worker work plus work due within the lookahead, weighted by priority (5 counts 1). Models come in
 * the order of their first ready task, then of their first upcoming one (a tie between moves goes to the first).
 */
export function weightedDemand(
  state: PlanState,
  upcoming: UpcomingDemand,
): { demand: Map<string | null, number>; tails: Map<string | null, number> } {
  const demand = new Map<string | null, number>();
  const tails = new Map<string | null, number>();
  const firsts: { model: string | null; first: SchedTask; books: ModelBook[] }[] = [];
  for (const book of state.workerBooks()) {
    const first = state.count(book) > 0 ? state.firstWorkerTask(book.model) : undefined;
    if (first === undefined) continue;
    const known = firsts.find((each) => each.model === book.model);
    if (known === undefined) firsts.push({ model: book.model, first, books: [book] });
    else known.books.push(book);
  }
  firsts.sort((a, b) => state.order(a.first, b.first));
  for (const { model, books } of firsts) {
    demand.set(
      model,
      books.reduce((sum, book) => sum + state.weighted(book), 0),
    );
    tails.set(model, Math.max(0, ...books.map((book) => state.maxTail(book))));
  }
  for (const [model, due] of upcoming) {
    let sum = demand.get(model) ?? 0;
    for (const weight of due.weights) sum += weight;
    demand.set(model, sum);
    tails.set(model, Math.max(tails.get(model) ?? 0, due.tailS));
  }
  return { demand, tails };
}

/** Upcoming worker GPU work within the lookahead, per model in order of first appearance; fixed for one decision. */
export type UpcomingDemand = Map<string | null, { weights: number[]; tailS: number }>;

export function upcomingDemand(state: PlanState): UpcomingDemand {
  const { nowS, knobs } = state.input;
  const out: UpcomingDemand = new Map();
  for (const task of state.input.upcoming) {
    if (task.executor !== 'worker' || task.taskClass === 'cpu' || task.model === null) continue;
    if (task.etaS - nowS > knobs.lookaheadS) continue;
    const due = out.get(task.model) ?? { weights: [], tailS: 0 };
    due.weights.push(weightOf(task));
    due.tailS = Math.max(due.tailS, task.tailS);
    out.set(task.model, due);
  }
  return out;
}
