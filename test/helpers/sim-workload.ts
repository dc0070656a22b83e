// Seeded simulation workloads: a stream of small plans with mixed models, priorities, two-card models, brain tasks
// and dependencies, for the golden-trace test (a few hundred tasks) and the simulator speed bench (10k-50k).
import { readFileSync } from 'node:fs';
import { RigProfileSchema, type PlanTask, type RigProfile } from '@rigmind/protocol';
import { resolvePlan } from '../../rig/src/plan/resolve-plan.js';
import type { SimTaskSpec } from '../../rig/src/sim/sim-tasks.js';

/** The seed rig (5 cards, the 14B brain on cards 0 and 3). */
export const SEED_PROFILE: RigProfile = RigProfileSchema.parse(
  JSON.parse(readFileSync(new URL('../../examples/rigs/rig-5x1060.json', import.meta.url), 'utf8')),
);

/** The seed rig without a brain: brain tasks are ordinary work on their own model there. */
export const BRAINLESS_PROFILE: RigProfile = (() => {
  const { brain: _brain, ...rest } = SEED_PROFILE;
  return rest;
})();

/**
 * A rig whose cards differ, as a profile file would say it: card 0 (4 GB) is too small for `big` (6 GB), card 1
 * (8 GB) holds it. Feasible (one card fits), so only a policy can put `big` on the wrong card.
 */
export const UNEVEN_PROFILE_JSON = {
  name: 'uneven',
  gpus: [
    { index: 0, name: 'small', vram_mb: 4096 },
    { index: 1, name: 'big', vram_mb: 8192 },
  ],
  cpu_slots: 1,
  models: { big: { kind: 'llm', gpus: 1, vram_mb_per_gpu: 6000, load_s: 60 } },
  unload_s: 5,
  vram_headroom_mb: 0,
} as const;

/** How to generate a workload. */
export interface WorkloadOptions {
  readonly seed: number;
  /** Total tasks, about (the last plan is cut to fit). */
  readonly tasks: number;
  /** Mean seconds between plan submissions (0: all at once). */
  readonly gapS: number;
  /** Largest plan, in tasks. */
  readonly maxPlanTasks?: number;
}

/** A deterministic PRNG (mulberry32): the same seed gives the same workload on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = [
  'cpu',
  'script-none',
  'whisper-small.en',
  'all-mpnet-base-v2',
  'easyocr',
  'qwen2.5:7b',
  'llm-default',
  'qwen2.5-vl:7b',
  'qwen2.5:14b',
  'brain',
] as const;
/** Relative weights of KINDS: mostly scripts and 7B work, some worker 14B (two cards) and brain tasks. */
const WEIGHTS = [3, 2, 3, 3, 3, 3, 2, 2, 1, 1];

function pick(rand: () => number): (typeof KINDS)[number] {
  const total = WEIGHTS.reduce((sum, w) => sum + w, 0);
  let roll = rand() * total;
  for (const [i, w] of WEIGHTS.entries()) {
    roll -= w;
    if (roll < 0) return KINDS[i] as (typeof KINDS)[number];
  }
  return 'cpu';
}

function planTask(name: string, kind: (typeof KINDS)[number], priority: number, estimate: number, deps: string[]) {
  const base = { name, priority, estimate_s: estimate, ...(deps.length > 0 ? { depends_on: deps } : {}) };
  if (kind === 'cpu') return { ...base, type: 'shell', task_class: 'cpu', command: 'true' } as PlanTask;
  if (kind === 'script-none')
    return { ...base, type: 'shell', task_class: 'script', command: 'python x.py' } as PlanTask;
  if (kind === 'brain')
    return { ...base, type: 'llm', task_class: 'llm', executor: 'brain', prompt: 'think' } as PlanTask;
  if (kind === 'llm-default') return { ...base, type: 'llm', task_class: 'llm', prompt: 'answer' } as PlanTask;
  if (SEED_PROFILE.models[kind]?.kind === 'llm')
    return { ...base, type: 'llm', task_class: 'llm', model: kind, prompt: 'answer' } as PlanTask;
  return { ...base, type: 'shell', task_class: 'script', model: kind, command: 'python y.py' } as PlanTask;
}

/**
 * A stream of plans: each of 1 to `maxPlanTasks` tasks, every task depending on up to two earlier ones of its plan,
 * priorities mostly 5 with some urgent and some background, estimates 2 to 120 s; plan k submitted near k x gapS.
 */
export function streamWorkload(options: WorkloadOptions): SimTaskSpec[] {
  const rand = prng(options.seed);
  const maxPlan = options.maxPlanTasks ?? 16;
  const specs: SimTaskSpec[] = [];
  let atS = 0;
  for (let plan = 0; specs.length < options.tasks; plan += 1) {
    const size = Math.min(1 + Math.floor(rand() * maxPlan), options.tasks - specs.length);
    const tasks: PlanTask[] = [];
    for (let i = 0; i < size; i += 1) {
      const deps = new Set<string>();
      for (let d = 0; d < 2 && i > 0; d += 1) if (rand() < 0.6) deps.add(`t${Math.floor(rand() * i)}`);
      const roll = rand();
      const priority = roll < 0.08 ? 9 + Math.floor(rand() * 2) : roll < 0.25 ? 1 + Math.floor(rand() * 4) : 5;
      const estimate = 2 + Math.floor(rand() * 119);
      tasks.push(planTask(`t${i}`, pick(rand), priority, estimate, [...deps]));
    }
    const resolved = resolvePlan({ plan: `p${plan}`, tasks });
    if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
    for (const task of resolved.value.tasks)
      specs.push({
        id: `p${plan}/${task.name}`,
        deps: task.depends_on.map((dep) => `p${plan}/${dep}`),
        task,
        submitAtS: atS,
      });
    atS += Math.round(options.gapS * 2 * rand());
  }
  return specs;
}
