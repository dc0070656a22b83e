// Seeded workloads for the scheduler bench, each built to stress one thing the issue names (docs/scheduling.md,
// "Benchmark"). The same seed and scale give the same tasks on every machine; `scale` multiplies their size.
import type { PlanTask } from '@rigmind/protocol';
import { resolvePlan } from '../../rig/src/plan/resolve-plan.js';
import type { SimTaskSpec } from '../../rig/src/sim/sim-tasks.js';
import { prng } from '../../test/helpers/sim-workload.js';

type Kind = 'cpu' | 'whisper' | 'mpnet' | 'ocr' | '7b' | 'vl' | '14b' | 'brain';

interface Draft {
  readonly name: string;
  readonly kind: Kind;
  readonly estimateS: number;
  readonly deps?: readonly string[];
  readonly priority?: number;
}

const SCRIPT_MODEL: Partial<Record<Kind, string>> = {
  whisper: 'whisper-small.en',
  mpnet: 'all-mpnet-base-v2',
  ocr: 'easyocr',
};
const LLM_MODEL: Partial<Record<Kind, string>> = { '7b': 'qwen2.5:7b', vl: 'qwen2.5-vl:7b', '14b': 'qwen2.5:14b' };

function planTask(draft: Draft): PlanTask {
  const base = {
    name: draft.name,
    priority: draft.priority ?? 5,
    estimate_s: draft.estimateS,
    ...(draft.deps !== undefined && draft.deps.length > 0 ? { depends_on: [...draft.deps] } : {}),
  };
  if (draft.kind === 'cpu') return { ...base, type: 'shell', task_class: 'cpu', command: 'true' } as PlanTask;
  if (draft.kind === 'brain')
    return { ...base, type: 'llm', task_class: 'llm', executor: 'brain', prompt: 'think' } as PlanTask;
  const llm = LLM_MODEL[draft.kind];
  if (llm !== undefined) return { ...base, type: 'llm', task_class: 'llm', model: llm, prompt: 'answer' } as PlanTask;
  const model = SCRIPT_MODEL[draft.kind] ?? '';
  return { ...base, type: 'shell', task_class: 'script', model, command: 'python run.py' } as PlanTask;
}

/** Plans submitted over time, as simulator tasks: `PLAN/NAME` ids. */
class Builder {
  readonly specs: SimTaskSpec[] = [];
  add(plan: string, atS: number, drafts: readonly Draft[]): void {
    const resolved = resolvePlan({ plan, tasks: drafts.map(planTask) });
    if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
    for (const task of resolved.value.tasks)
      this.specs.push({
        id: `${plan}/${task.name}`,
        deps: task.depends_on.map((dep) => `${plan}/${dep}`),
        task,
        submitAtS: atS,
      });
  }
}

const between = (rand: () => number, low: number, high: number): number => low + Math.round(rand() * (high - low));
const count = (scale: number, base: number): number => Math.max(1, Math.round(base * scale));

/** Waves of LLM questions that alternate between the 7B and the VL model: thrash bait. */
export function alternating(seed: number, scale: number): SimTaskSpec[] {
  const rand = prng(seed);
  const out = new Builder();
  for (let wave = 0; wave < count(scale, 12); wave += 1) {
    const [major, minor] = wave % 2 === 0 ? (['7b', 'vl'] as const) : (['vl', '7b'] as const);
    const drafts: Draft[] = [];
    for (let i = 0; i < 8; i += 1) drafts.push({ name: `a${i}`, kind: major, estimateS: between(rand, 20, 60) });
    for (let i = 0; i < 2; i += 1) drafts.push({ name: `b${i}`, kind: minor, estimateS: between(rand, 20, 60) });
    drafts.push({ name: 'note', kind: 'whisper', estimateS: between(rand, 5, 30) });
    out.add(`wave${wave}`, wave * 120, drafts);
  }
  return out.specs;
}

/** Deep pipelines with fan-out and joins over several models, all at t=0, ending with the brain. */
export function fanoutChains(seed: number, scale: number): SimTaskSpec[] {
  const rand = prng(seed);
  const out = new Builder();
  for (let p = 0; p < count(scale, 10); p += 1) {
    const drafts: Draft[] = [{ name: 'extract', kind: 'cpu', estimateS: between(rand, 10, 40) }];
    drafts.push({ name: 'transcribe', kind: 'whisper', estimateS: between(rand, 40, 140), deps: ['extract'] });
    let joinOf = 'transcribe';
    const stages: readonly Kind[] = ['7b', 'vl', '7b'];
    stages.forEach((kind, s) => {
      const fan = between(rand, 2, 5);
      const names: string[] = [];
      for (let i = 0; i < fan; i += 1) {
        names.push(`s${s}_${i}`);
        drafts.push({ name: `s${s}_${i}`, kind, estimateS: between(rand, 15, 70), deps: [joinOf] });
      }
      drafts.push({ name: `join${s}`, kind: 'mpnet', estimateS: between(rand, 2, 8), deps: names });
      joinOf = `join${s}`;
    });
    drafts.push({ name: 'summary', kind: 'brain', estimateS: between(rand, 30, 70), deps: [joinOf] });
    out.add(`pipe${p}`, 0, drafts);
  }
  return out.specs;
}

/** Worker work on the two-card 14B beside single-card 7B and script work, in batches. */
export function twoCard(seed: number, scale: number): SimTaskSpec[] {
  const rand = prng(seed);
  const out = new Builder();
  for (let batch = 0; batch < count(scale, 8); batch += 1) {
    const drafts: Draft[] = [];
    for (let i = 0; i < 14; i += 1) {
      const roll = rand();
      const kind: Kind = roll < 0.3 ? '14b' : roll < 0.65 ? '7b' : roll < 0.85 ? 'ocr' : 'mpnet';
      const deps = i > 0 && rand() < 0.3 ? [`t${Math.floor(rand() * i)}`] : [];
      drafts.push({ name: `t${i}`, kind, estimateS: between(rand, 10, 90), deps });
    }
    out.add(`batch${batch}`, batch * 240, drafts);
  }
  return out.specs;
}

/** A normal and background backlog at t=0, and urgent plans arriving through it. */
export function urgentArrivals(seed: number, scale: number): SimTaskSpec[] {
  const rand = prng(seed);
  const out = new Builder();
  const backlog: Draft[] = [];
  for (let i = 0; i < count(scale, 60); i += 1) {
    const roll = rand();
    const kind: Kind = roll < 0.4 ? '7b' : roll < 0.7 ? 'vl' : roll < 0.85 ? 'ocr' : 'whisper';
    backlog.push({ name: `bg${i}`, kind, estimateS: between(rand, 20, 90), priority: rand() < 0.5 ? 3 : 5 });
  }
  out.add('backlog', 0, backlog);
  let atS = 30;
  for (let u = 0; u < count(scale, 16); u += 1) {
    const roll = rand();
    const priority = rand() < 0.5 ? 9 : 10;
    const drafts: Draft[] =
      roll < 0.4
        ? [
            { name: 'transcribe', kind: 'whisper', estimateS: between(rand, 5, 20), priority },
            { name: 'answer', kind: '7b', estimateS: between(rand, 10, 40), priority, deps: ['transcribe'] },
          ]
        : roll < 0.7
          ? [{ name: 'ask', kind: 'brain', estimateS: between(rand, 15, 45), priority }]
          : [{ name: 'look', kind: 'vl', estimateS: between(rand, 10, 40), priority }];
    out.add(`urgent${u}`, atS, drafts);
    atS += between(rand, 40, 160);
  }
  return out.specs;
}

/** The brain plans, the 7B works the plan out in parallel, the brain reviews: several such loops side by side. */
export function brainLoop(seed: number, scale: number): SimTaskSpec[] {
  const rand = prng(seed);
  const out = new Builder();
  for (let loop = 0; loop < 3; loop += 1) {
    const drafts: Draft[] = [];
    let previous: string[] = [];
    for (let round = 0; round < count(scale, 6); round += 1) {
      drafts.push({ name: `plan${round}`, kind: 'brain', estimateS: between(rand, 20, 50), deps: previous });
      const workers: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        workers.push(`work${round}_${i}`);
        drafts.push({
          name: `work${round}_${i}`,
          kind: '7b',
          estimateS: between(rand, 30, 80),
          deps: [`plan${round}`],
        });
      }
      drafts.push({ name: `review${round}`, kind: 'brain', estimateS: between(rand, 15, 40), deps: workers });
      previous = [`review${round}`];
    }
    out.add(`loop${loop}`, loop * 20, drafts);
  }
  return out.specs;
}

/** Every generated workload, named, at one scale. */
export function generatedWorkloads(scale: number): { readonly name: string; readonly specs: SimTaskSpec[] }[] {
  return [
    { name: 'gen: alternating', specs: alternating(11, scale) },
    { name: 'gen: fan-out chains', specs: fanoutChains(12, scale) },
    { name: 'gen: two-card 14B', specs: twoCard(13, scale) },
    { name: 'gen: urgent arrivals', specs: urgentArrivals(14, scale) },
    { name: 'gen: brain loop', specs: brainLoop(15, scale) },
  ];
}
