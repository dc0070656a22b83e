import type { RigSpec } from '../scheduler/types.js';
import type { LowerBound, LowerBoundPart } from './lower-bound.js';
import type { GuardChoice } from './policy-guard.js';
import type { SimResult } from './simulator.js';

/** The numbers `rigmind simulate --json` prints. */
export interface SimMetrics {
  readonly policy: string;
  readonly makespan_s: number;
  /** Model instances evicted to make room for another (each unload of a loaded model). */
  readonly swaps: number;
  readonly loads_by_model: Record<string, number>;
  /** Per card: fraction of the makespan spent running tasks (loads, unloads and idle time excluded). */
  readonly gpu_busy_fraction: Record<string, number>;
  /** Per priority: seconds from ready to the start of the run that completed. */
  readonly wait_s: Record<string, { mean: number; max: number; count: number }>;
  /** No schedule of this workload on this rig can be shorter (docs/scheduling.md, "The lower bound"). */
  readonly lower_bound_s: number;
  /** Which part of the bound sets it. */
  readonly lower_bound_by: LowerBoundPart;
  readonly critical_path_s: number;
  readonly gpu_work_bound_s: number;
  readonly arrival_bound_s: number;
  readonly serial_bound_s: number;
  readonly cpu_bound_s: number;
  readonly preemptions: number;
  /**
   * Swap-aware's guard, one entry per moment work was submitted: the policy that drove from then on and the two
   * forecasts it chose by (docs/scheduling.md, "The guard"). Empty for naive and with the guard off.
   */
  readonly guard: { at_s: number; policy: string; swap_aware_s: number; naive_s: number }[];
}

const round = (value: number, places = 2): number => Number(value.toFixed(places));
/** Rounded down (after dropping float noise), so a rounded bound never exceeds what it bounds. */
const floor2 = (value: number): number => Math.floor(Number(value.toFixed(6)) * 100) / 100;

/** Summarize a simulation. */
export function computeMetrics(
  policy: string,
  result: SimResult,
  rig: RigSpec,
  bound: LowerBound,
  choices: readonly GuardChoice[] = [],
): SimMetrics {
  const loads: Record<string, number> = {};
  let swaps = 0;
  const busy = new Map<number, number>(rig.cards.map((card) => [card.gpu, 0]));
  for (const entry of result.trace) {
    if (entry.kind === 'load' && entry.model !== null) loads[entry.model] = (loads[entry.model] ?? 0) + 1;
    if (entry.kind === 'unload') swaps += 1;
    if (entry.kind === 'run')
      for (const gpu of entry.gpus) busy.set(gpu, (busy.get(gpu) ?? 0) + entry.end_s - entry.start_s);
  }
  const span = result.makespanS;
  const gpuBusy: Record<string, number> = {};
  for (const [gpu, seconds] of busy) gpuBusy[String(gpu)] = span > 0 ? round(seconds / span, 3) : 0;
  const waits = new Map<number, number[]>();
  for (const task of result.tasks) {
    const list = waits.get(task.priority) ?? [];
    list.push(task.startS - task.readyAtS);
    waits.set(task.priority, list);
  }
  const wait: Record<string, { mean: number; max: number; count: number }> = {};
  for (const priority of [...waits.keys()].sort((a, b) => b - a)) {
    const list = waits.get(priority) ?? [];
    wait[String(priority)] = {
      mean: round(list.reduce((a, b) => a + b, 0) / Math.max(1, list.length)),
      max: round(Math.max(0, ...list)),
      count: list.length,
    };
  }
  return {
    policy,
    makespan_s: round(span),
    swaps,
    loads_by_model: loads,
    gpu_busy_fraction: gpuBusy,
    wait_s: wait,
    lower_bound_s: floor2(bound.boundS),
    lower_bound_by: bound.binding,
    critical_path_s: floor2(bound.criticalPathS),
    gpu_work_bound_s: floor2(bound.gpuWorkS),
    arrival_bound_s: floor2(bound.arrivalsS),
    serial_bound_s: floor2(bound.serialS),
    cpu_bound_s: floor2(bound.cpuS),
    preemptions: result.preemptions,
    guard: choices.map((choice) => ({
      at_s: choice.atS,
      policy: choice.policy,
      swap_aware_s: round(choice.swapAwareS),
      naive_s: round(choice.naiveS),
    })),
  };
}
