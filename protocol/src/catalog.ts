/**
 * What the rig can do, told to the model that plans from a goal: the commands and scripts it knows and its models
 * with what each is good for (a YAML or JSON file the user writes; examples/catalogs/seed-rig.yaml is the seed's
 * rig). Also the shape a planning model answers in. No I/O.
 */
import { z } from 'zod';
import { PlanTaskSchema } from './plan.js';
import { TaskClassSchema } from './task.js';

/** A command or script the rig knows: how to call it and what it does. */
export const CatalogCommandSchema = z.strictObject({
  name: z.string().min(1).max(128),
  /** The command line, with placeholders in capitals (`--in VIDEO`) the planner fills in. */
  command: z.string().min(1).max(2_000),
  about: z.string().min(1).max(2_000),
  /** `script` (on a card, with `model`) or `cpu`; inferred from the command when absent, as for any task. */
  task_class: TaskClassSchema.exclude(['resource', 'llm']).optional(),
  /** The script's model (a name the rig profile knows), so the scheduler places it on a card holding it. */
  model: z.string().min(1).max(128).optional(),
  /** Typical seconds per run, the planner's estimate_s. */
  estimate_s: z.number().nonnegative().optional(),
});
/** A catalog command. */
export type CatalogCommand = z.infer<typeof CatalogCommandSchema>;

/** A model the rig serves through Ollama, and what it is good for. */
export const CatalogModelSchema = z.strictObject({
  name: z.string().min(1).max(128),
  good_for: z.string().min(1).max(2_000),
  /** Takes images (a vision model such as Qwen2.5-VL). */
  vision: z.boolean().optional(),
  /** Runs on the brain's cards (`executor: brain`), not a worker's. */
  brain: z.boolean().optional(),
  /** Typical seconds per prompt, the planner's estimate_s. */
  estimate_s: z.number().nonnegative().optional(),
});
/** A catalog model. */
export type CatalogModel = z.infer<typeof CatalogModelSchema>;

/** The catalog file: what a plan drafted from a goal may use. */
export const CatalogSchema = z.strictObject({
  about: z.string().max(10_000).optional(),
  commands: z.array(CatalogCommandSchema).max(500).default([]),
  models: z.array(CatalogModelSchema).max(100).default([]),
  /** Rules for plans on this rig (paths, conventions), told to the planner as trusted instructions. */
  rules: z.array(z.string().min(1).max(2_000)).max(100).default([]),
});
/** A catalog, defaults applied. */
export type Catalog = z.infer<typeof CatalogSchema>;

/** The fields of a task a planner writes: a subset of a plan task, so the JSON schema stays small for the model. */
const DraftTaskSchema = PlanTaskSchema.pick({
  name: true,
  depends_on: true,
  type: true,
  command: true,
  prompt: true,
  model: true,
  task_class: true,
  executor: true,
  estimate_s: true,
  inputs: true,
  output: true,
  images: true,
});

/**
 * A planning model's reply: a plan, or `beyond_local: true` with the reason when the goal needs more than the
 * local models (then the planning goes to the external tier). The plan is checked as any submitted plan is.
 */
export const PlannerReplySchema = z.strictObject({
  beyond_local: z.boolean(),
  reason: z.string().max(2_000),
  plan: z.strictObject({
    plan: z.string().max(128),
    description: z.string().max(10_000).optional(),
    tasks: z.array(DraftTaskSchema).max(200),
  }),
});
/** A planning model's reply. */
export type PlannerReply = z.infer<typeof PlannerReplySchema>;

/** The JSON schema sent as Ollama's `format` with a planning request. */
export const PLANNER_FORMAT: Readonly<Record<string, unknown>> = Object.freeze(
  (({ $schema: _schema, ...body }) => body)(z.toJSONSchema(PlannerReplySchema, { target: 'draft-2020-12' })),
);
