import { z } from 'zod';
import type { ReadyIndex } from './ready-index.js';

/** A task's class as the scheduler places it (`resource` work is the brain's own and never reaches a policy). */
export type SchedClass = 'cpu' | 'script' | 'llm';

/**
 * A task the scheduler may place. Times are seconds on the caller's clock (virtual in the simulator, wall in the
 * brain). `model` is the resolved need: the task's model, the default LLM for an llm task naming none, the brain's
 * model for a brain task, and null for cpu work or a script that loads nothing.
 */
export interface SchedTask {
  readonly id: string;
  readonly taskClass: SchedClass;
  readonly executor: 'brain' | 'worker';
  readonly model: string | null;
  readonly priority: number;
  /** When it became ready (entered the queue); its wait is `now - readyAtS`. A re-queued task keeps it. */
  readonly readyAtS: number;
  /** Plan order, the last tie-break (in the simulator a canonical dependencies-first order, not the listing). */
  readonly seq: number;
  readonly estimateS: number;
  /** VRAM a script with no model needs beside what the card holds. */
  readonly vramMb: number;
  /** The longest chain of estimates after this task in its plan (0 for a leaf): work it holds back. */
  readonly tailS: number;
}

/** A blocked task with the earliest time it is expected to be ready. */
export interface UpcomingTask extends SchedTask {
  readonly etaS: number;
}

/** What a card is running. */
export interface RunningView {
  readonly taskId: string;
  readonly priority: number;
  readonly executor: 'brain' | 'worker';
  readonly model: string | null;
  readonly gpus: readonly number[];
  readonly startedAtS: number;
}

/** One card as the scheduler sees it. */
export interface CardView {
  readonly gpu: number;
  readonly vramMb: number;
  /** Models resident or loading; a model on several cards (14B) is listed on each. */
  readonly models: readonly string[];
  /** For each resident model spanning several cards (14B), the cards of that instance. */
  readonly groups: Readonly<Record<string, readonly number[]>>;
  /** Null when the card is free to take a decision now; otherwise when its current load, unload or run ends. */
  readonly busyUntilS: number | null;
  readonly running: RunningView | null;
}

/** A model the rig can hold: its kind, cards, VRAM per card and switch costs (profile values, later measured ones). */
export interface ModelSpec {
  readonly kind: 'llm' | 'script';
  readonly gpus: number;
  readonly vramMbPerGpu: number;
  readonly loadS: number;
  readonly unloadS: number;
}

/** The rig as a policy needs it. */
export interface RigSpec {
  readonly cards: readonly { readonly gpu: number; readonly vramMb: number }[];
  readonly models: Readonly<Record<string, ModelSpec>>;
  /** Time to free a card of anything (the profile's unload_s). */
  readonly unloadS: number;
  readonly headroomMb: number;
  readonly cpuSlots: number;
  readonly brain: { readonly model: string; readonly gpus: readonly number[] } | null;
  /**
   * Each card holds one model at a time (the live workers: a script frees the card of any LLM first, as the
   * seed does); nothing is co-resident whatever the VRAM. Absent: models share a card where VRAM allows.
   */
  readonly oneModelPerCard?: boolean;
  /**
   * Whether brain cards may be lent to worker LLM work (absent: yes). The live brain says no: the brain's Ollama
   * server spans its cards and cannot pin a worker's 7B to one of them, so a lent card runs script work only.
   */
  readonly lendsLlm?: boolean;
}

/** The policy knobs, each with its default. */
export const SchedulerKnobsSchema = z.strictObject({
  /** Aging: a waiting task gains one priority point per this many seconds (the brain's aging_s_per_point). */
  agingSPerPoint: z.number().positive().default(60),
  /** Priority from which a task is urgent: it may preempt lower-priority work. */
  urgentPriority: z.int().min(1).max(10).default(9),
  /** Longest wait before a task is placed regardless of batching, by priority band (9-10, 6-8, 4-5, 1-3). */
  maxWaitS: z
    .strictObject({
      urgent: z.number().min(0).default(0),
      high: z.number().min(0).default(300),
      normal: z.number().min(0).default(900),
      low: z.number().min(0).default(1800),
    })
    .prefault({}),
  /** A card joins a model already served when its ready work exceeds servers x switch cost x this. */
  joinFactor: z.number().min(0).default(2),
  /** Upcoming work (dependents) due within this many seconds counts towards a model's demand. */
  lookaheadS: z.number().min(0).default(240),
  /** Preempt only when the wait saved exceeds the work thrown away times this, plus preemptMarginS. */
  preemptFactor: z.number().min(0).default(1),
  preemptMarginS: z.number().min(0).default(10),
  /** Lend brain cards only while the worker backlog per card is at least this many times the brain model's reload. */
  lendFactor: z.number().min(0).default(1),
  /** Extra seconds before a brain task's expected start by which the brain model should be back. */
  reclaimMarginS: z.number().min(0).default(0),
  /** A model switch on a lent brain card must leave at least this many times its cost of work before the reclaim. */
  lendPaybackFactor: z.number().min(0).default(2),
  /** How much more a model with work and no instance weighs than its work alone (it must load before anything runs). */
  unservedFactor: z.number().min(1).default(2),
  /** A card switches models only when that shortens the longer drain time by more than this. */
  minGainS: z.number().min(0).default(0),
});
/** Policy knobs. */
export type SchedulerKnobs = z.infer<typeof SchedulerKnobsSchema>;

/** The default knobs. */
export const DEFAULT_KNOBS: SchedulerKnobs = SchedulerKnobsSchema.parse({});

/**
 * Everything a policy decides from. `ready` is the caller's {@link ReadyIndex}, kept in step as tasks become ready and
 * leave (the simulator's and the live brain's), or a plain list (tests), indexed for the one decision.
 */
export interface SchedulerInput {
  readonly nowS: number;
  readonly ready: readonly SchedTask[] | ReadyIndex;
  readonly upcoming: readonly UpcomingTask[];
  readonly cards: readonly CardView[];
  readonly cpuFree: number;
  readonly rig: RigSpec;
  readonly knobs: SchedulerKnobs;
}

/**
 * One decision. `start`: free the `unload` cards of everything they hold, load `load` on `gpus` (null: already
 * there or nothing to load), then run the task on `gpus` (empty for cpu work). `prepare`: the same without a task,
 * loading ahead of work. `preempt`: stop a running task and re-queue it (its wait keeps counting).
 */
export type Decision =
  | {
      readonly kind: 'start';
      readonly taskId: string;
      readonly gpus: readonly number[];
      readonly unload: readonly number[];
      readonly load: string | null;
    }
  | {
      readonly kind: 'prepare';
      readonly gpus: readonly number[];
      readonly unload: readonly number[];
      readonly model: string;
    }
  | { readonly kind: 'preempt'; readonly taskId: string };

/** A policy's answer: decisions to apply in order, and when to be asked again if nothing else happens. */
export interface SchedulerOutput {
  readonly decisions: Decision[];
  readonly wakeAtS: number | null;
}

/** A scheduling policy: a pure function of its input. */
export type Policy = (input: SchedulerInput) => SchedulerOutput;
