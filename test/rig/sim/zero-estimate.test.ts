import { readFileSync } from 'node:fs';
import { RigProfileSchema, type PlanTask } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { runScenario } from '../../../rig/src/sim/run-scenario.js';
import type { SimTaskSpec } from '../../../rig/src/sim/sim-tasks.js';

const profile = RigProfileSchema.parse(
  JSON.parse(readFileSync(new URL('../../../examples/rigs/rig-5x1060.json', import.meta.url), 'utf8')),
);

// A random plan on which swap-aware took 1103 s and naive 330.5 s: the 0 s transcription had no weight in demand,
// so no card loaded Whisper for it until it was overdue (900 s), and the VL task after it waited as long.
const tasks: readonly (readonly [PlanTask, readonly string[], number])[] = [
  [
    {
      name: 't0',
      type: 'shell',
      task_class: 'script',
      model: 'whisper-small.en',
      command: 'x',
      estimate_s: 0,
      priority: 4,
    },
    [],
    0,
  ],
  [
    { name: 't1', type: 'shell', task_class: 'script', model: 'easyocr', command: 'x', estimate_s: 194, priority: 10 },
    [],
    0,
  ],
  [
    { name: 't2', type: 'llm', task_class: 'llm', model: 'qwen2.5-vl:7b', prompt: 'p', estimate_s: 197, priority: 2 },
    ['t0'],
    0,
  ],
  [
    { name: 't3', type: 'shell', task_class: 'script', model: 'easyocr', command: 'x', estimate_s: 2, priority: 10 },
    ['t1', 't2'],
    30,
  ],
];

function specs(list = tasks): SimTaskSpec[] {
  return list.map(([task, deps, atS]) => {
    const resolved = resolvePlan({ plan: task.name, tasks: [task] });
    if (!resolved.ok) throw new Error(resolved.issues.map((issue) => issue.message).join('; '));
    const [only] = resolved.value.tasks;
    if (only === undefined) throw new Error('no task');
    return { id: task.name, deps: [...deps], task: only, submitAtS: atS };
  });
}

// Another: cards prepared Whisper for t2; t1 (7B, 0 s) before it had no demand, so no card moved to the 7B until t1
// was overdue (900 s): 1403 s against naive's 495.5 s.
const chain: readonly (readonly [PlanTask, readonly string[], number])[] = [
  [{ name: 't0', type: 'llm', task_class: 'llm', executor: 'brain', prompt: 'p', estimate_s: 99, priority: 4 }, [], 0],
  [
    { name: 't1', type: 'llm', task_class: 'llm', model: 'qwen2.5:7b', prompt: 'p', estimate_s: 0, priority: 5 },
    ['t0'],
    30,
  ],
  [
    {
      name: 't2',
      type: 'shell',
      task_class: 'script',
      model: 'whisper-small.en',
      command: 'x',
      estimate_s: 145,
      priority: 3,
    },
    ['t1', 't0'],
    30,
  ],
];

describe('a task estimated at 0 s', () => {
  it('weighs in demand, so a card holding a model with other work ahead moves to its model', () => {
    const swapAware = runScenario(specs(chain), profile, 'swap-aware', { guard: false }).result;
    // t0 ends at 234 s; t1 starts once a card has loaded the 7B (unload 7.5 s + load 105 s).
    expect(swapAware.tasks.find((task) => task.id === 't1')?.startS).toBeLessThanOrEqual(234 + 7.5 + 105);
    expect(swapAware.makespanS).toBeLessThanOrEqual(runScenario(specs(chain), profile, 'naive').result.makespanS);
  });

  it('on a model nobody holds is started at once on an idle card, not held back till overdue', () => {
    const swapAware = runScenario(specs(), profile, 'swap-aware', { guard: false }).result;
    expect(swapAware.tasks.find((task) => task.id === 't0')?.startS).toBeLessThan(10);
    expect(swapAware.makespanS).toBeLessThanOrEqual(runScenario(specs(), profile, 'naive').result.makespanS);
  });
});
