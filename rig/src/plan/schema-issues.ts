import {
  formatPath,
  ok,
  PlanSchema,
  PlanTaskSchema,
  TaskDefaultsSchema,
  TaskNameSchema,
  type Plan,
  type Result,
} from '@rigmind/protocol';
import type { z } from 'zod';
import { childPath } from './line-maps.js';
import { makeIssue, taskIndexOf, type IssueContext, type PlanIssue } from './plan-issue.js';
import { planFailure, type PlanIssues } from './plan-result.js';
import type { LooseTask } from './resolve-plan.js';
import { closestName } from './similar-name.js';

/** A plan that passed the protocol's schema, or its issues and what could be salvaged for further checks. */
export type SchemaCheck = Result<Plan, 'invalid_plan', PlanIssues & { readonly salvage?: Salvage }>;

/** The fields of an invalid plan that are valid on their own, so graph checks can still run. */
export interface Salvage {
  readonly tasks: LooseTask[];
  readonly defaults: Record<string, unknown>;
}

/** Check plan data against the protocol's strict PlanSchema, one issue per problem, each with its line. */
export function checkPlanSchema(raw: unknown, context: IssueContext): SchemaCheck {
  const parsed = PlanSchema.safeParse(raw);
  if (parsed.success) return ok(parsed.data);
  const rawTasks = isRecord(raw) && Array.isArray(raw['tasks']) ? (raw['tasks'] as unknown[]) : undefined;
  const issues = parsed.error.issues.flatMap((zodIssue) => toPlanIssues(zodIssue, rawTasks, context));
  const refused = planFailure('invalid_plan', issues);
  if (!rawTasks || !isRecord(raw)) return refused;
  return {
    ...refused,
    salvage: { tasks: rawTasks.map(salvageTask), defaults: salvageFields(raw['defaults'], TaskDefaultsSchema.shape) },
  };
}

function toPlanIssues(zodIssue: z.core.$ZodIssue, rawTasks: unknown[] | undefined, context: IssueContext): PlanIssue[] {
  const path = formatPath(zodIssue.path);
  const index = taskIndexOf(path);
  const rawName =
    index === undefined ? undefined : (rawTasks?.[index] as Record<string, unknown> | undefined)?.['name'];
  const task = typeof rawName === 'string' ? rawName : undefined;
  const make = (code: PlanIssue['code'], at: string, message: string): PlanIssue =>
    makeIssue(context, { code, path: at, message, task, index });
  const last = zodIssue.path[zodIssue.path.length - 1];

  if (zodIssue.code === 'unrecognized_keys') {
    const known = Object.keys(knownShape(path));
    return zodIssue.keys.map((key) => {
      const near = closestName(key, known);
      return make(
        'unknown_field',
        childPath(path === '(root)' ? '' : path, key),
        `unknown field '${key}'${near ? ` (did you mean '${near}'?)` : ''}`,
      );
    });
  }
  if (path === 'tasks' && (zodIssue.code === 'too_small' || zodIssue.code === 'invalid_type')) {
    return [make('empty_plan', path, "a plan needs a 'tasks' list with at least one task")];
  }
  if (zodIssue.code === 'invalid_type' && zodIssue.message.endsWith('received undefined')) {
    return [make('missing_field', path, `'${String(last)}' is required`)];
  }
  if (last === 'priority' && (zodIssue.code === 'too_big' || zodIssue.code === 'too_small')) {
    return [make('priority_out_of_range', path, zodIssue.message)];
  }
  return [make('invalid_field', path, zodIssue.message)];
}

function knownShape(path: string): Record<string, unknown> {
  if (path === 'defaults') return TaskDefaultsSchema.shape;
  if (taskIndexOf(path) !== undefined) return PlanTaskSchema.shape;
  return PlanSchema.shape;
}

function salvageTask(raw: unknown): LooseTask {
  const task = salvageFields(raw, PlanTaskSchema.shape) as LooseTask;
  const deps = isRecord(raw) ? raw['depends_on'] : undefined;
  // Keep each valid dependency even when one of its neighbours is not, so cycles are still found.
  if (task.depends_on === undefined && Array.isArray(deps)) {
    return { ...task, depends_on: deps.filter((dep): dep is string => TaskNameSchema.safeParse(dep).success) };
  }
  return task;
}

function salvageFields(raw: unknown, shape: Record<string, z.ZodType>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(raw)) return out;
  for (const [key, schema] of Object.entries(shape)) {
    if (!(key in raw)) continue;
    const field = schema.safeParse(raw[key]);
    if (field.success && field.data !== undefined) out[key] = field.data;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
