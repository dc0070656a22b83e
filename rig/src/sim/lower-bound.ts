import type { RigSpec } from '../scheduler/types.js';
import { gpuCapacityBound, releaseBound, type ModelWork } from './bound-parts.js';
import type { SimTaskSpec } from './sim-tasks.js';

/** A task as the bound sees it: its spec, what it needs (resolved by `taskNeed`) and how long it runs. */
export interface BoundTask {
  readonly spec: SimTaskSpec;
  readonly model: string | null;
  readonly cpu: boolean;
  readonly estimateS: number;
}

/** The parts of the bound, each a bound on its own; `boundS` is the largest. */
export type LowerBoundPart = 'critical_path' | 'gpu_capacity' | 'arrivals' | 'serial' | 'cpu';

/** A lower bound on any schedule's makespan, and its parts (docs/scheduling.md, "The lower bound"). */
export interface LowerBound {
  readonly boundS: number;
  /** The part that sets it. */
  readonly binding: LowerBoundPart;
  /** The longest dependency path from each task's submission, a GPU task starting no sooner than its model loads. */
  readonly criticalPathS: number;
  /** Card-seconds of GPU work plus the loads (and unloads) needed to finish by then, over the number of cards. */
  readonly gpuWorkS: number;
  /** Work that cannot start before a time t, over the cards, after t, plus the shortest chain after it. */
  readonly arrivalsS: number;
  /** Tasks that can never overlap (the brain's, and those needing more than half the cards), back to back. */
  readonly serialS: number;
  /** cpu work over the cpu slots, with arrivals as above. */
  readonly cpuS: number;
}

/**
 * A lower bound on the makespan of every schedule of `tasks` on `rig`, whatever the policy: no schedule can beat any
 * of its parts. Cards start empty. `tasks` must list dependencies before dependents (as `resolvePlan` orders them).
 */
export function lowerBound(tasks: readonly BoundTask[], rig: RigSpec): LowerBound {
  const n = tasks.length;
  const index = new Map(tasks.map((task, i) => [task.spec.id, i]));
  const brainWidth = rig.brain?.gpus.length ?? 0;
  const width = tasks.map((task) => {
    if (task.cpu) return 0;
    if (isBrain(task, rig)) return brainWidth;
    return task.model === null ? 1 : (rig.models[task.model]?.gpus ?? 1);
  });
  // Heads: the earliest start. A model's first load starts at 0 at the soonest, on empty cards.
  const head = new Array<number>(n).fill(0);
  tasks.forEach((task, i) => {
    let start = task.spec.submitAtS;
    if (!task.cpu && task.model !== null) start = Math.max(start, rig.models[task.model]?.loadS ?? 0);
    for (const dep of task.spec.deps) {
      const j = index.get(dep);
      if (j !== undefined && j < i) start = Math.max(start, (head[j] ?? 0) + (tasks[j]?.estimateS ?? 0));
    }
    head[i] = start;
  });
  // Tails: the longest chain of work that must follow a task's end.
  const tail = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i -= 1) {
    const after = (tail[i] ?? 0) + (tasks[i]?.estimateS ?? 0);
    for (const dep of tasks[i]?.spec.deps ?? []) {
      const j = index.get(dep);
      if (j !== undefined && j < i) tail[j] = Math.max(tail[j] ?? 0, after);
    }
  }
  let criticalPathS = 0;
  const gpu: { release: number; work: number; tail: number }[] = [];
  const cpu: { release: number; work: number; tail: number }[] = [];
  const brain: { release: number; work: number; tail: number }[] = [];
  const wide: { release: number; work: number; tail: number }[] = [];
  const models = new Map<string, ModelWork>();
  let cardSeconds = 0;
  tasks.forEach((task, i) => {
    const release = head[i] ?? 0;
    const after = tail[i] ?? 0;
    const p = task.estimateS;
    criticalPathS = Math.max(criticalPathS, release + p + after);
    const w = width[i] ?? 1;
    if (task.cpu) {
      cpu.push({ release, work: p, tail: after });
      return;
    }
    gpu.push({ release, work: p * w, tail: after });
    cardSeconds += p * w;
    if (isBrain(task, rig)) brain.push({ release, work: p, tail: after });
    if (2 * w > rig.cards.length) wide.push({ release, work: p, tail: after });
    if (task.model === null) return;
    const spec = rig.models[task.model];
    const known = models.get(task.model);
    const model: ModelWork = known ?? {
      cards: isBrain(task, rig) ? brainWidth : (spec?.gpus ?? 1),
      loadS: spec?.loadS ?? 0,
      llm: spec?.kind === 'llm',
      cardWorkS: 0,
      firstS: release,
      lastTailS: after,
    };
    models.set(task.model, {
      ...model,
      cardWorkS: model.cardWorkS + p * w,
      firstS: Math.min(model.firstS, release),
      lastTailS: Math.min(model.lastTailS, after),
    });
  });
  const cards = Math.max(1, rig.cards.length);
  const parts: Record<LowerBoundPart, number> = {
    critical_path: criticalPathS,
    gpu_capacity: gpuCapacityBound(cardSeconds, [...models.values()], cards, unloadSOf(rig)),
    arrivals: releaseBound(gpu, cards),
    serial: Math.max(releaseBound(brain, 1), releaseBound(wide, 1)),
    cpu: releaseBound(cpu, Math.max(1, rig.cpuSlots)),
  };
  let binding: LowerBoundPart = 'critical_path';
  for (const [part, value] of Object.entries(parts) as [LowerBoundPart, number][])
    if (value > parts[binding]) binding = part;
  return {
    boundS: parts[binding],
    binding,
    criticalPathS,
    gpuWorkS: parts.gpu_capacity,
    arrivalsS: parts.arrivals,
    serialS: parts.serial,
    cpuS: parts.cpu,
  };
}

function isBrain(task: BoundTask, rig: RigSpec): boolean {
  return !task.cpu && task.spec.task.executor === 'brain' && rig.brain !== null;
}

/** The cheapest unload any model could have. */
function unloadSOf(rig: RigSpec): number {
  let least = rig.unloadS;
  for (const model of Object.values(rig.models)) least = Math.min(least, model.unloadS);
  return least;
}
