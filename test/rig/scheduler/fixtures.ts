import { readFileSync } from 'node:fs';
import { RigProfileSchema, type RigProfile } from '@rigmind/protocol';
import { rigSpecFromProfile } from '../../../rig/src/scheduler/rig-spec.js';
import {
  DEFAULT_KNOBS,
  type CardView,
  type RunningView,
  type SchedTask,
  type SchedulerInput,
  type UpcomingTask,
} from '../../../rig/src/scheduler/types.js';

/** The seed rig profile from examples/rigs. */
export const seedProfile: RigProfile = RigProfileSchema.parse(
  JSON.parse(readFileSync(new URL('../../../examples/rigs/rig-5x1060.json', import.meta.url), 'utf8')),
);
/** The seed rig as the scheduler sees it. */
export const seedRig = rigSpecFromProfile(seedProfile);

/** A card view; `groups` filled for the 14B on the brain cards. */
export function card(
  gpu: number,
  models: string[] = [],
  busyUntilS: number | null = null,
  running: RunningView | null = null,
): CardView {
  const groups = models.includes('qwen2.5:14b') ? { 'qwen2.5:14b': [0, 3] } : {};
  return { gpu, vramMb: 6144, models, groups, busyUntilS, running };
}

/** A ready task. */
export function task(id: string, model: string | null, fields: Partial<SchedTask> = {}): SchedTask {
  const llm = model !== null && seedRig.models[model]?.kind === 'llm';
  return {
    id,
    taskClass: llm ? 'llm' : 'script',
    executor: 'worker',
    model,
    priority: 5,
    readyAtS: 0,
    seq: 0,
    estimateS: 30,
    vramMb: 0,
    tailS: 0,
    ...fields,
  };
}

/** An upcoming task. */
export function upcoming(
  id: string,
  model: string | null,
  etaS: number,
  fields: Partial<SchedTask> = {},
): UpcomingTask {
  return { ...task(id, model, fields), etaS };
}

/** A running-task view on one card. */
export function running(
  taskId: string,
  gpu: number,
  startedAtS: number,
  priority = 5,
  model: string | null = 'qwen2.5:7b',
): RunningView {
  return { taskId, priority, executor: 'worker', model, gpus: [gpu], startedAtS };
}

/** A scheduler input on the seed rig. */
export function input(fields: Partial<SchedulerInput> & Pick<SchedulerInput, 'cards'>): SchedulerInput {
  return { nowS: 0, ready: [], upcoming: [], cpuFree: 4, rig: seedRig, knobs: DEFAULT_KNOBS, ...fields };
}
