// The exact optimum makespan of a tiny workload on a RELAXED rig, by exhaustive search, to test that the lower bound
// never exceeds an optimum. The relaxation (every simulator schedule is one of its schedules, so its optimum is at
// most the simulator's): each card holds one model at a time, and a two-card model loads on each card on its own.
// Every GPU task names a model (a script without one would let a card load ahead while running it, which this
// search does not try). Exact for that relaxation: take an optimal schedule and list its
// tasks by start; giving each task, in that order, the same cards (or cpu slot) and starting it as early as its
// release, its dependencies and its cards allow (each card switching to its model - nothing, a load, or an unload
// and a load - right after its previous task) starts no task later. The search tries every such list and placement.

/** A task of the tiny workload. */
export interface BfTask {
  readonly deps: readonly number[];
  readonly releaseS: number;
  readonly runS: number;
  readonly cpu: boolean;
  readonly model: string | null;
  /** Cards it needs at once (1 or 2). */
  readonly width: number;
  /** Must run on exactly these cards (brain tasks). */
  readonly cards?: readonly number[];
}

/** The relaxed rig. */
export interface BfRig {
  readonly cards: number;
  readonly cpuSlots: number;
  readonly loadS: Readonly<Record<string, number>>;
  readonly unloadS: number;
}

function cardSets(cards: number, width: number): number[][] {
  const out: number[][] = [];
  const pick = (from: number, chosen: number[]): void => {
    if (chosen.length === width) return void out.push([...chosen]);
    for (let c = from; c < cards; c += 1) pick(c + 1, [...chosen, c]);
  };
  pick(0, []);
  return out;
}

/** The least makespan of any schedule of `tasks` on the relaxed `rig`. */
export function bruteForceOptimum(tasks: readonly BfTask[], rig: BfRig): number {
  const n = tasks.length;
  const cardFree = new Array<number>(rig.cards).fill(0);
  const cardModel = new Array<string | null>(rig.cards).fill(null);
  const cpuFree = new Array<number>(rig.cpuSlots).fill(0);
  const end = new Array<number>(n).fill(-1);
  const sets = tasks.map((task) => (task.cards !== undefined ? [[...task.cards]] : cardSets(rig.cards, task.width)));
  let best = Number.POSITIVE_INFINITY;
  const search = (placed: number, span: number): void => {
    if (span >= best) return;
    if (placed === n) {
      best = span;
      return;
    }
    tasks.forEach((task, i) => {
      if ((end[i] ?? 0) >= 0 || task.deps.some((dep) => (end[dep] ?? -1) < 0)) return;
      const ready = Math.max(task.releaseS, ...task.deps.map((dep) => end[dep] ?? 0));
      if (task.cpu) {
        const tried = new Set<number>();
        cpuFree.forEach((free, slot) => {
          if (tried.has(free)) return;
          tried.add(free);
          const finish = Math.max(ready, free) + task.runS;
          cpuFree[slot] = finish;
          end[i] = finish;
          search(placed + 1, Math.max(span, finish));
          cpuFree[slot] = free;
          end[i] = -1;
        });
        return;
      }
      for (const set of sets[i] ?? []) {
        let start = ready;
        for (const c of set) {
          const held = cardModel[c] ?? null;
          const switchS =
            task.model === null || held === task.model
              ? 0
              : (held === null ? 0 : rig.unloadS) + (rig.loadS[task.model] ?? 0);
          start = Math.max(start, (cardFree[c] ?? 0) + switchS);
        }
        const finish = start + task.runS;
        const saved = set.map((c) => [cardFree[c] ?? 0, cardModel[c] ?? null] as const);
        for (const c of set) {
          cardFree[c] = finish;
          if (task.model !== null) cardModel[c] = task.model;
        }
        end[i] = finish;
        search(placed + 1, Math.max(span, finish));
        set.forEach((c, k) => {
          cardFree[c] = saved[k]?.[0] ?? 0;
          cardModel[c] = saved[k]?.[1] ?? null;
        });
        end[i] = -1;
      }
    });
  };
  search(0, 0);
  return best;
}
