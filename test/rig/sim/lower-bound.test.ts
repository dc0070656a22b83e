import { RigProfileSchema, type PlanTask, type RigProfile } from '@rigmind/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { planFacts, runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';
import { bruteForceOptimum, type BfTask } from './brute-force-optimum.js';

type Kind = 'cpu' | 'none' | 'S' | 'A' | 'B' | 'W' | 'brain';

interface Tiny {
  readonly cards: number;
  readonly brain: boolean;
  readonly loads: { readonly A: number; readonly B: number; readonly S: number; readonly W: number };
  readonly unloadS: number;
  readonly cpuSlots: number;
  readonly tasks: readonly { kind: Kind; runS: number; atS: number; deps: readonly number[] }[];
}

/** A rig where no two models fit one card (1000 MB, 600 MB each), so the brute force's relaxation holds. */
function profileOf(tiny: Tiny): RigProfile {
  const model = (kind: 'llm' | 'script', gpus: number, loadS: number) => ({
    kind,
    gpus,
    vram_mb_per_gpu: 600,
    load_s: loadS,
  });
  return RigProfileSchema.parse({
    name: 'tiny',
    gpus: Array.from({ length: tiny.cards }, (_, index) => ({ index, name: 'card', vram_mb: 1000 })),
    cpu_slots: tiny.cpuSlots,
    ...(tiny.brain ? { brain: { model: 'W', gpus: [0, 1] } } : {}),
    models: {
      A: model('llm', 1, tiny.loads.A),
      B: model('llm', 1, tiny.loads.B),
      S: model('script', 1, tiny.loads.S),
      ...(tiny.cards >= 2 ? { W: model('llm', 2, tiny.loads.W) } : {}),
    },
    unload_s: tiny.unloadS,
    vram_headroom_mb: 0,
  });
}

function planTask(kind: Kind, name: string, runS: number, deps: readonly string[]): PlanTask {
  const base = { name, estimate_s: runS, ...(deps.length > 0 ? { depends_on: [...deps] } : {}) };
  if (kind === 'cpu') return { ...base, type: 'shell', task_class: 'cpu', command: 'true' } as PlanTask;
  if (kind === 'none') return { ...base, type: 'shell', task_class: 'script', command: 'x' } as PlanTask;
  if (kind === 'S') return { ...base, type: 'shell', task_class: 'script', model: 'S', command: 'x' } as PlanTask;
  if (kind === 'brain') return { ...base, type: 'llm', task_class: 'llm', executor: 'brain', prompt: 'p' } as PlanTask;
  return { ...base, type: 'llm', task_class: 'llm', model: kind, prompt: 'p' } as PlanTask;
}

/** One plan per task (so each may arrive at its own time); dependencies name tasks of earlier plans by id. */
function specsOf(tiny: Tiny): SimTaskSpec[] {
  return tiny.tasks.map((task, i) => {
    const resolved = resolvePlan({ plan: `p${i}`, tasks: [planTask(task.kind, `t${i}`, task.runS, [])] });
    if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
    const [only] = resolved.value.tasks;
    if (only === undefined) throw new Error('no task');
    return { id: `t${i}`, deps: task.deps.map((dep) => `t${dep}`), task: only, submitAtS: task.atS };
  });
}

function bfTasks(tiny: Tiny): BfTask[] {
  return tiny.tasks.map((task) => {
    const wide = task.kind === 'W' || task.kind === 'brain';
    return {
      deps: task.deps,
      releaseS: task.atS,
      runS: task.runS,
      cpu: task.kind === 'cpu',
      model: task.kind === 'cpu' || task.kind === 'none' ? null : task.kind === 'brain' ? 'W' : task.kind,
      width: wide ? 2 : 1,
      ...(task.kind === 'brain' ? { cards: [0, 1] } : {}),
    };
  });
}

const tinyArb: fc.Arbitrary<Tiny> = fc
  .record({
    cards: fc.integer({ min: 1, max: 3 }),
    brain: fc.boolean(),
    loads: fc.record({
      A: fc.integer({ min: 0, max: 40 }),
      B: fc.integer({ min: 0, max: 40 }),
      S: fc.integer({ min: 0, max: 10 }),
      W: fc.integer({ min: 0, max: 40 }),
    }),
    unloadS: fc.integer({ min: 0, max: 10 }),
    cpuSlots: fc.integer({ min: 1, max: 2 }),
    raw: fc.array(
      fc.record({
        // No script without a model: a card may load ahead while running one, which the search does not try.
        kind: fc.constantFrom<Kind>('cpu', 'S', 'A', 'B', 'W', 'brain'),
        runS: fc.integer({ min: 1, max: 30 }),
        atS: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
        depMask: fc.nat(15),
      }),
      { minLength: 1, maxLength: 5 },
    ),
  })
  .map(({ raw, ...rest }) => {
    // The brain takes cards 0 and 1 of three, so naive (which keeps worker work off the brain's cards) has a worker
    // card; with it, two-card work is the brain's (naive could never place a worker's on one card).
    const brain = rest.brain && rest.cards === 3;
    const tasks = raw.map((task, i) => {
      let kind: Kind = task.kind;
      if (rest.cards < 2 && (kind === 'W' || kind === 'brain')) kind = 'A';
      else if (brain && kind === 'W') kind = 'brain';
      else if (!brain && kind === 'brain') kind = 'W';
      const deps = [...Array(i).keys()].filter((j) => (task.depMask >> j) & 1);
      return { kind, runS: task.runS, atS: task.atS, deps };
    });
    return { ...rest, brain, tasks };
  });

describe('the lower bound against exact optima', () => {
  it('never exceeds the exact optimum of a relaxation of the rig, which no simulated schedule beats', () => {
    fc.assert(
      fc.property(tinyArb, (tiny) => {
        const profile = profileOf(tiny);
        const specs = specsOf(tiny);
        const { bound } = planFacts(specs, profile);
        const optimum = bruteForceOptimum(bfTasks(tiny), {
          cards: tiny.cards,
          cpuSlots: tiny.cpuSlots,
          loadS: tiny.loads,
          unloadS: tiny.unloadS,
        });
        expect(bound.boundS).toBeLessThanOrEqual(optimum + 1e-6);
        // The relaxation really is one: the simulator's schedules are never shorter than its optimum.
        for (const policy of ['naive', 'swap-aware'] as const)
          expect(optimum).toBeLessThanOrEqual(runScenario(specs, profile, policy).result.makespanS + 1e-6);
      }),
      { numRuns: 600, seed: 18 },
    );
  });
});

/** A bound for hand-written tasks on a rig of `cards` cards: A and B are LLMs, no brain. */
function boundOf(cards: number, tasks: Tiny['tasks'], loads = { A: 100, B: 50, S: 2, W: 0 }, unloadS = 5) {
  const tiny: Tiny = { cards, brain: false, loads, unloadS, cpuSlots: 1, tasks };
  return planFacts(specsOf(tiny), profileOf(tiny)).bound;
}

describe('the lower bound on workloads whose optimum is known', () => {
  it('counts a second model on one card as an unload and a load: A, B, A on one card take 185 s', () => {
    // Best: A (load 100) runs both A tasks (20 s), unload 5, load B 50, run 10. The old bound said 180 (no unload).
    const tasks = (['A', 'B', 'A'] as const).map((kind) => ({ kind, runS: 10, atS: 0, deps: [] }));
    const bound = boundOf(1, tasks);
    expect(bound.boundS).toBeCloseTo(185, 6);
    expect(bound.binding).toBe('gpu_capacity');
  });

  it('puts the first load on the critical path: a chain A -> B on two cards takes 120 s', () => {
    // B loads on the other card meanwhile; A's load (100) + A (10) + B (10). Capacity alone says (20+150)/2 = 85.
    const bound = boundOf(2, [
      { kind: 'A', runS: 10, atS: 0, deps: [] },
      { kind: 'B', runS: 10, atS: 0, deps: [0] },
    ]);
    expect(bound.criticalPathS).toBe(120);
    expect(bound.boundS).toBe(120);
  });

  it('lets a load happen before its work arrives: a task at 300 s with a 100 s load ends at 310 s', () => {
    const bound = boundOf(1, [{ kind: 'A', runS: 10, atS: 300, deps: [] }]);
    expect(bound.boundS).toBe(310);
  });

  it('counts a load per card a model needs to finish in time: 4 x 100 s of A on two cards take 250 s', () => {
    // Each card loads A (50 s) and runs two tasks; the old bound (one load in all) said (400 + 50) / 2 = 225.
    const tasks = Array.from({ length: 4 }, () => ({ kind: 'A' as const, runS: 100, atS: 0, deps: [] }));
    const bound = boundOf(2, tasks, { A: 50, B: 50, S: 2, W: 0 });
    expect(bound.boundS).toBeCloseTo(250, 6);
  });

  it('runs brain tasks back to back on the brain cards', () => {
    // Three 40 s brain tasks on the brain's two cards (of three), after the 14B-like load of 30 s: 150 s.
    const tiny: Tiny = {
      cards: 3,
      brain: true,
      loads: { A: 0, B: 0, S: 0, W: 30 },
      unloadS: 5,
      cpuSlots: 1,
      tasks: Array.from({ length: 3 }, () => ({ kind: 'brain' as const, runS: 40, atS: 0, deps: [] })),
    };
    const bound = planFacts(specsOf(tiny), profileOf(tiny)).bound;
    expect(bound.boundS).toBeCloseTo(150, 6);
  });
});
