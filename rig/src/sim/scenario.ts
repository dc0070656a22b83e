import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RigProfileSchema, type Plan, type RigProfile } from '@rigmind/protocol';
import { z } from 'zod';
import { formatPlanIssues } from '../plan/format-issues.js';
import { loadPlanFile } from '../plan/load-plan-file.js';
import { parsePlanText } from '../plan/parse-plan.js';
import { resolvePlan } from '../plan/resolve-plan.js';
import { DEFAULT_LLM_MODEL, rigSpecFromProfile, taskNeed } from '../scheduler/rig-spec.js';
import type { SimTaskSpec } from './sim-tasks.js';

/** The seed rig, used when neither the scenario nor the command line names one. */
export const DEFAULT_RIG_PATH = resolve(import.meta.dirname, '../../../examples/rigs/rig-5x1060.json');

/** A scenario file: a rig (path or inline) and plans submitted over time (path or inline). */
export const ScenarioFileSchema = z.strictObject({
  about: z.string().optional(),
  rig: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  submissions: z.array(z.strictObject({ at_s: z.number().min(0), plan: z.union([z.string().min(1), z.record(z.string(), z.unknown())]) })).min(1),
});
/** A scenario file. */
export type ScenarioFile = z.infer<typeof ScenarioFileSchema>;

/** A loaded scenario: the rig and every task with its submission time, or a message naming what is wrong and where. */
export type ScenarioResult =
  | { readonly ok: true; readonly profile: RigProfile; readonly rigSource: string; readonly specs: SimTaskSpec[]; readonly plans: string[] }
  | { readonly ok: false; readonly code: 'scenario_invalid' | 'rig_invalid' | 'plan_invalid'; readonly message: string };

const fail = (code: 'scenario_invalid' | 'rig_invalid' | 'plan_invalid', message: string): ScenarioResult => ({ ok: false, code, message });

/** Read a rig profile file and check it against the protocol's RigProfileSchema. */
export async function loadRigProfile(path: string): Promise<{ ok: true; profile: RigProfile } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read rig profile '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${path}: not JSON (${(error as Error).message})` };
  }
  return checkProfile(raw, path);
}

function checkProfile(raw: unknown, where: string): { ok: true; profile: RigProfile } | { ok: false; message: string } {
  const parsed = RigProfileSchema.safeParse(raw);
  if (parsed.success) return { ok: true, profile: parsed.data };
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`);
  return { ok: false, message: [`${where}: not a valid rig profile`, ...lines].join('\n') };
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
      return fail('scenario_invalid', `cannot read scenario '${path}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return fail('scenario_invalid', `${path}: not JSON (${(error as Error).message})`);
    }
    if (typeof raw === 'object' && raw !== null && 'submissions' in raw) {
      const parsed = ScenarioFileSchema.safeParse(raw);
      if (!parsed.success) {
        const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
        return fail('scenario_invalid', [`${path}: not a valid scenario`, ...lines].join('\n'));
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
    if (!checked.ok) return fail('rig_invalid', checked.message);
    profile = checked.profile;
    rigSource = `${path} (inline)`;
  } else {
    rigSource = rigRef ?? DEFAULT_RIG_PATH;
    const loaded = await loadRigProfile(rigSource);
    if (!loaded.ok) return fail('rig_invalid', loaded.message);
    profile = loaded.profile;
  }

  const submissions = scenario?.submissions ?? [{ at_s: 0, plan: path }];
  const plans: { atS: number; plan: Plan; where: string }[] = [];
  for (const [index, submission] of submissions.entries()) {
    const where = scenario === undefined ? path : typeof submission.plan === 'string' ? resolve(base, submission.plan) : `${path}: submissions[${index}].plan`;
    const loaded = typeof submission.plan === 'string' ? await loadPlanFile(where) : parsePlanText(JSON.stringify(submission.plan), 'json', where);
    if (!loaded.ok) return fail('plan_invalid', formatPlanIssues(loaded.issues, where).join('\n'));
    plans.push({ atS: submission.at_s, plan: loaded.plan, where });
  }
  return buildSpecs(plans, profile, rigSource);
}

function buildSpecs(plans: readonly { atS: number; plan: Plan; where: string }[], profile: RigProfile, rigSource: string): ScenarioResult {
  const rig = rigSpecFromProfile(profile);
  const specs: SimTaskSpec[] = [];
  const seen = new Map<string, number>();
  const problems: string[] = [];
  for (const { atS, plan, where } of plans) {
    const resolved = resolvePlan(plan, { file: where });
    if (!resolved.ok) return fail('plan_invalid', formatPlanIssues(resolved.issues, where).join('\n'));
    const count = (seen.get(plan.plan) ?? 0) + 1;
    seen.set(plan.plan, count);
    const prefix = plans.length === 1 ? '' : `${plan.plan}${count > 1 ? `#${count}` : ''}/`;
    for (const task of resolved.tasks) {
      const need = taskNeed(task, rig, DEFAULT_LLM_MODEL);
      if (need.kind === 'gpu' && need.model !== null) {
        const model = rig.models[need.model];
        if (model === undefined) problems.push(`${where}: task '${task.name}': model '${need.model}' is not in the rig profile ${rigSource} (it has ${Object.keys(rig.models).join(', ')})`);
        else if (model.gpus > rig.cards.length) problems.push(`${where}: task '${task.name}': model '${need.model}' needs ${model.gpus} cards, the rig has ${rig.cards.length}`);
      } else if (need.kind === 'gpu' && rig.cards.length === 0) problems.push(`${where}: task '${task.name}' needs a card and the rig has none`);
      specs.push({ id: `${prefix}${task.name}`, deps: task.depends_on.map((dep) => `${prefix}${dep}`), task, submitAtS: atS });
    }
  }
  if (problems.length > 0) return fail('plan_invalid', problems.join('\n'));
  return { ok: true, profile, rigSource, specs, plans: plans.map((entry) => entry.plan.plan) };
}
