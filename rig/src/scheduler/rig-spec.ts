import type { RigProfile } from '@rigmind/protocol';
import type { ModelSpec, RigSpec, SchedClass } from './types.js';

/** The model an llm task runs when it names none: the seed's worker model (the rig config's default_llm_model). */
export const DEFAULT_LLM_MODEL = 'qwen2.5:7b';

/** The scheduler's view of a rig profile. Load times are the profile's; the live brain may pass measured ones. */
export function rigSpecFromProfile(
  profile: RigProfile,
  measured: Readonly<Record<string, { loadS?: number; unloadS?: number }>> = {},
): RigSpec {
  const models: Record<string, ModelSpec> = {};
  for (const [name, model] of Object.entries(profile.models)) {
    models[name] = {
      kind: model.kind,
      gpus: model.gpus,
      vramMbPerGpu: model.vram_mb_per_gpu,
      loadS: measured[name]?.loadS ?? model.load_s,
      unloadS: measured[name]?.unloadS ?? profile.unload_s,
    };
  }
  return {
    cards: profile.gpus.map((gpu) => ({ gpu: gpu.index, vramMb: gpu.vram_mb })),
    models,
    unloadS: profile.unload_s,
    headroomMb: profile.vram_headroom_mb,
    cpuSlots: profile.cpu_slots,
    brain: profile.brain === undefined ? null : { model: profile.brain.model, gpus: [...profile.brain.gpus] },
  };
}

/** The fields of a task that decide what it needs. */
export interface NeedSource {
  readonly task_class: string;
  readonly executor: 'brain' | 'worker';
  readonly model?: string | undefined;
}

/** What a task needs: a cpu slot, or cards with a model (null: a script that loads nothing). */
export type TaskNeed = { readonly kind: 'cpu' } | { readonly kind: 'gpu'; readonly model: string | null };

/**
 * Resolve a task's need. A brain task runs on the brain's model whatever it names (the brain has no other);
 * an llm task naming no model gets {@link DEFAULT_LLM_MODEL}; a script naming none needs a card but no load.
 */
export function taskNeed(task: NeedSource, rig: RigSpec, defaultLlm: string = DEFAULT_LLM_MODEL): TaskNeed {
  const taskClass: SchedClass = task.task_class === 'cpu' ? 'cpu' : task.task_class === 'llm' ? 'llm' : 'script';
  if (taskClass === 'cpu') return { kind: 'cpu' };
  if (task.executor === 'brain' && rig.brain !== null) return { kind: 'gpu', model: rig.brain.model };
  if (taskClass === 'llm') return { kind: 'gpu', model: task.model ?? defaultLlm };
  return { kind: 'gpu', model: task.model ?? null };
}

/** Whether `model` fits on a card already holding `resident` (the profile's headroom kept free). */
export function fitsBeside(
  rig: RigSpec,
  vramMb: number,
  resident: readonly string[],
  model: string | null,
  extraMb = 0,
): boolean {
  if (rig.oneModelPerCard === true && resident.length > 0) return false;
  const used = resident.reduce((sum, name) => sum + (rig.models[name]?.vramMbPerGpu ?? 0), 0);
  const adding = model === null ? 0 : (rig.models[model]?.vramMbPerGpu ?? 0);
  return used + adding + extraMb + rig.headroomMb <= vramMb;
}

/** Whether a card of `vramMb` can hold `model` at all, once emptied (the profile's headroom kept free). */
export function canHold(rig: RigSpec, vramMb: number, model: string | null, extraMb = 0): boolean {
  return fitsBeside(rig, vramMb, [], model, extraMb);
}

/**
 * Seconds to make `model` available on a card holding `resident`: nothing, a load beside them, or unload + load;
 * Infinity on a card too small for it even when empty.
 */
export function switchCostS(rig: RigSpec, vramMb: number, resident: readonly string[], model: string | null): number {
  if (model === null || resident.includes(model)) return 0;
  if (!canHold(rig, vramMb, model)) return Infinity;
  const load = rig.models[model]?.loadS ?? 0;
  if (mayLoadBeside(rig, vramMb, resident, model)) return load;
  return rig.unloadS + load;
}

/**
 * Whether `model` may load on a card holding `resident` without freeing it: LLMs need an empty card, and an empty
 * card must still be large enough for the model (cards of a rig may differ).
 */
export function mayLoadBeside(rig: RigSpec, vramMb: number, resident: readonly string[], model: string): boolean {
  if (resident.length === 0) return canHold(rig, vramMb, model);
  if (rig.models[model]?.kind === 'llm') return false;
  return fitsBeside(rig, vramMb, resident, model);
}
