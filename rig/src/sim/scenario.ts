import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { err, ok, RigProfileSchema, type Plan, type Result, type RigProfile } from '@rigmind/protocol';
import { z } from 'zod';
import { formatPlanIssues } from '../plan/format-issues.js';
import { loadPlanFile } from '../plan/load-plan-file.js';
import { parsePlanText } from '../plan/parse-plan.js';
import { resolvePlan } from '../plan/resolve-plan.js';
import { profileFitProblems } from '../scheduler/profile-fit.js';
import { DEFAULT_LLM_MODEL, rigSpecFromProfile, taskNeed } from '../scheduler/rig-spec.js';
import type { SimTaskSpec } from './sim-tasks.js';

/** The seed rig, used when neither the scenario nor the command line names one. */
export const DEFAULT_RIG_PATH = resolve(import.meta.dirname, '../../../examples/rigs/rig-5x1060.json');

/** A scenario file: a rig (path or inline) and plans submitted over time (path or inline). */
export const ScenarioFileSchema = z.strictObject({
  about: z.string().optional(),
  rig: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  submissions: z
    .array(
      z.strictObject({
        at_s: z.number().min(0),
        plan: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
      }),
    )
    .min(1),
});
/** A scenario file. */
export type ScenarioFile = z.infer<typeof ScenarioFileSchema>;

/** A loaded scenario: the rig and every task with its submission time. */
export interface Scenario {
  readonly profile: RigProfile;
  readonly rigSource: string;
  readonly specs: SimTaskSpec[];
  readonly plans: string[];
}

/** What is wrong with a scenario: the file itself, its rig, or one of its plans. The message names where. */
export type ScenarioErrorCode = 'scenario_invalid' | 'rig_invalid' | 'plan_invalid';

/** A loaded scenario, or a message naming what is wrong and where. */
export type ScenarioResult = Result<Scenario, ScenarioErrorCode>;

/**
 * Why a rig profile did not load: the file cannot be read, is not JSON, breaks RigProfileSchema, or describes a
 * model (or brain) its own cards cannot hold.
 */
export type RigProfileErrorCode = 'profile_unreadable' | 'profile_not_json' | 'profile_invalid' | 'profile_infeasible';

/** A checked rig profile, or why not. */
export type RigProfileResult = Result<RigProfile, RigProfileErrorCode>;

/** Read a rig profile file, check it against the protocol's RigProfileSchema and that each model fits its cards. */
export async function loadRigProfile(path: string): Promise<RigProfileResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return err(
      'profile_unreadable',
      `cannot read rig profile '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return err('profile_not_json', `${path}: not JSON (${(error as Error).message})`);
  }
  return checkProfile(raw, path);
}

function checkProfile(raw: unknown, where: string): RigProfileResult {
  const parsed = RigProfileSchema.safeParse(raw);
  if (parsed.success) {
    const problems = profileFitProblems(parsed.data);
    if (problems.length === 0) return ok(parsed.data);
    return err(
      'profile_infeasible',
      [`${where}: the rig cannot run what it describes`, ...problems.map((line) => `  ${line}`)].join('\n'),
    );
  }
  const lines = parsed.error.issues.map(
    (issue) => `  ${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`,
  );
  return err('profile_invalid', [`${where}: not a valid rig profile`, ...lines].join('\n'));
}

/**
 * Load SCENARIO: a plan file (json, yaml, md; every task at t=0) or a scenario JSON with `submissions`. Relative
 * paths inside a scenario are relative to it. `rigPath` (the --rig flag) wins over the scenario's own rig.
 */
export async function loadScenario(path: string, rigPath?: string): Promise<ScenarioResult> {
  let scenario: ScenarioFile | undefined;
  if (path.toLowerCase().endsWith('.json')) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      return err(
        'scenario_invalid',
        `cannot read scenario '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return err('scenario_invalid', `${path}: not JSON (${(error as Error).message})`);
    }
    if (typeof raw === 'object' && raw !== null && 'submissions' in raw) {
      const parsed = ScenarioFileSchema.safeParse(raw);
      if (!parsed.success) {
        const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
        return err('scenario_invalid', [`${path}: not a valid scenario`, ...lines].join('\n'));
      }
      scenario = parsed.data;
    }
  }
  const base = dirname(path);
  const rigRef = rigPath ?? (typeof scenario?.rig === 'string' ? resolve(base, scenario.rig) : undefined);
  let profile: RigProfile;
  let rigSource: string;
  if (rigRef === undefined && scenario?.rig !== undefined && typeof scenario.rig !== 'string') {
    const checked = checkProfile(scenario.rig, `${path}: rig`);
    if (!checked.ok) return err('rig_invalid', checked.message);
    profile = checked.value;
    rigSource = `${path} (inline)`;
  } else {
    rigSource = rigRef ?? DEFAULT_RIG_PATH;
    const loaded = await loadRigProfile(rigSource);
    if (!loaded.ok) return err('rig_invalid', loaded.message);
    profile = loaded.value;
  }

  const submissions = scenario?.submissions ?? [{ at_s: 0, plan: path }];
  const plans: { atS: number; plan: Plan; where: string }[] = [];
  for (const [index, submission] of submissions.entries()) {
    const where =
      scenario === undefined
        ? path
        : typeof submission.plan === 'string'
          ? resolve(base, submission.plan)
          : `${path}: submissions[${index}].plan`;
    const loaded =
      typeof submission.plan === 'string'
        ? await loadPlanFile(where)
        : parsePlanText(JSON.stringify(submission.plan), 'json', where);
    if (!loaded.ok) return err('plan_invalid', formatPlanIssues(loaded.issues, where).join('\n'));
    plans.push({ atS: submission.at_s, plan: loaded.value.plan, where });
  }
  return buildSpecs(plans, profile, rigSource);
}

function buildSpecs(
  plans: readonly { atS: number; plan: Plan; where: string }[],
  profile: RigProfile,
  rigSource: string,
): ScenarioResult {
  const rig = rigSpecFromProfile(profile);
  const specs: SimTaskSpec[] = [];
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const { atS, plan, where } of plans) {
    const resolved = resolvePlan(plan, { file: where });
    if (!resolved.ok) return err('plan_invalid', formatPlanIssues(resolved.issues, where).join('\n'));
    const count = (seen.get(plan.plan) ?? 0) + 1;
    seen.set(plan.plan, count);
    const prefix = plans.length === 1 ? '' : `${plan.plan}${count > 1 ? `#${count}` : ''}/`;
    for (const task of resolved.value.tasks) {
      const need = taskNeed(task, rig, DEFAULT_LLM_MODEL);
      if (need.kind === 'gpu' && need.model !== null) {
        const model = rig.models[need.model];
        if (model === undefined)
          problems.push(
            `${where}: task '${task.name}': model '${need.model}' is not in the rig profile ${rigSource} (it has ` +
              `${Object.keys(rig.models).join(', ')})`,
          );
        else if (model.gpus > rig.cards.length)
          problems.push(
            `${where}: task '${task.name}': model '${need.model}' needs ${model.gpus} cards, the rig has ` +
              `${rig.cards.length}`,
          );
      } else if (need.kind === 'gpu' && rig.cards.length === 0)
        problems.push(`${where}: task '${task.name}' needs a card and the rig has none`);
      else if (need.kind === 'gpu' && task.vram_mb !== undefined) {
        const largest = profile.gpus.reduce((a, b) => (b.vram_mb > a.vram_mb ? b : a));
        if (task.vram_mb + profile.vram_headroom_mb > largest.vram_mb)
          problems.push(
            `${where}: task '${task.name}' needs ${task.vram_mb} MB (vram_mb) + ${profile.vram_headroom_mb} MB ` +
              `headroom = ${task.vram_mb + profile.vram_headroom_mb} MB on one card; the largest, card ` +
              `${largest.index} (${largest.name}), has ${largest.vram_mb} MB`,
          );
      }
      specs.push({
        id: `${prefix}${task.name}`,
        deps: task.depends_on.map((dep) => `${prefix}${dep}`),
        task,
        submitAtS: atS,
      });
    }
  }
  if (problems.length > 0) return err('plan_invalid', problems.join('\n'));
  return ok({ profile, rigSource, specs, plans: plans.map((entry) => entry.plan.plan) });
}
