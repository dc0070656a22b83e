import type { RigSpec } from '../scheduler/types.js';
import type { SimTaskSpec } from './sim-tasks.js';

/** A lower bound on any schedule's makespan, and its two parts. */
export interface LowerBound {
  readonly boundS: number;
  /** The longest dependency path (sum of estimates), from each task's submission. */
  readonly criticalPathS: number;
  /** Card-seconds of GPU work plus one load of each model used, over the number of cards. */
  readonly gpuWorkS: number;
}

/**
 * The plan-only lower bound: no schedule beats its longest dependency path, nor the GPU work (a two-card task counts
 * twice) plus one load of every model it needs spread perfectly over every card. Tasks are given with their needs.
 */
export function lowerBound(
  specs: readonly {
    readonly spec: SimTaskSpec;
    readonly model: string | null;
    readonly cpu: boolean;
    readonly estimateS: number;
  }[],
  rig: RigSpec,
): LowerBound {
  const finish = new Map<string, number>();
  let criticalPathS = 0;
  let cardSeconds = 0;
  const models = new Set<string>();
  for (const { spec, model, cpu, estimateS } of specs) {
    let start = spec.submitAtS;
    for (const dep of spec.deps) start = Math.max(start, finish.get(dep) ?? 0);
    finish.set(spec.id, start + estimateS);
    criticalPathS = Math.max(criticalPathS, start + estimateS);
    if (cpu) continue;
    const width = model === null ? 1 : (rig.models[model]?.gpus ?? 1);
    cardSeconds += estimateS * width;
    if (model !== null) models.add(model);
  }
  for (const model of models) cardSeconds += (rig.models[model]?.loadS ?? 0) * (rig.models[model]?.gpus ?? 1);
  const gpuWorkS = cardSeconds / Math.max(1, rig.cards.length);
  return { boundS: Math.max(criticalPathS, gpuWorkS), criticalPathS, gpuWorkS };
}
