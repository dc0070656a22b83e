import type { RigProfile } from '@rigmind/protocol';

/** Seconds a task runs when its plan gives no estimate_s. */
export const DEFAULT_ESTIMATE_S = 60;

/**
 * How long things take on a rig: the one source of durations for the simulator and, later, for the live system on
 * simulated GPUs (`rigmind up --simulate`), so both show the same timings.
 */
export interface RigTimings {
  /** Seconds to load `model` on card `gpu` (a multi-card model loads on its cards in parallel). */
  loadS(gpu: number, model: string): number;
  /** Seconds from asking card `gpu` to drop `model` until its VRAM is clear. */
  unloadS(gpu: number, model: string): number;
  /** Seconds `task` runs on card `gpu` (null: a cpu slot) with `model`. */
  runS(gpu: number | null, model: string | null, task: { readonly estimate_s?: number | undefined }): number;
}

/** Timings from a rig profile: load_s per model, the profile's unload_s, each task's estimate_s. */
export function profileTimings(profile: RigProfile, defaultEstimateS: number = DEFAULT_ESTIMATE_S): RigTimings {
  return {
    loadS: (_gpu, model) => profile.models[model]?.load_s ?? 0,
    unloadS: () => profile.unload_s,
    runS: (_gpu, _model, task) => task.estimate_s ?? defaultEstimateS,
  };
}
