import { describe, expect, it } from 'vitest';
import type { PlanTask } from '@rigmind/protocol';
import { PlanCheck } from '../../../rig/src/plan/plan-check.js';
import { resolveTasks } from '../../../rig/src/plan/resolve-plan.js';

/** Tasks with an issue of every graph and field kind, spread so that chunks of two split each pair. */
const tasks: PlanTask[] = [
  { name: 'a', command: 'echo a', depends_on: ['c'] },
  { name: 'b', prompt: 'summarize', command: 'echo b' },
  { name: 'c', command: 'python3 train.py', depends_on: ['b', 'zz'] },
  { name: 'a', command: 'echo again' },
  { name: 'd', type: 'llm', command: 'echo d', depends_on: ['d'] },
  { name: 'e', command: 'echo e', task_class: 'resource', depends_on: ['f'] },
  { name: 'f', command: 'echo f', depends_on: ['e'] },
  { name: 'g', prompt: 'write a poem about shard 7', depends_on: ['a', 'a'] },
];

describe('PlanCheck', () => {
  it('gives, fed in chunks, exactly what one check of the whole plan gives: issues in the same order', () => {
    const whole = resolveTasks(tasks, { priority: 3 }, {});
    for (const size of [1, 2, 3, 5]) {
      const check = new PlanCheck({ priority: 3 });
      for (let from = 0; from < tasks.length; from += size) check.add(tasks.slice(from, from + size));
      expect(check.size).toBe(tasks.length);
      expect(check.finish(), `chunks of ${size}`).toEqual(whole);
    }
    expect(whole.issues.map((issue) => [issue.code, issue.index])).toEqual([
      ['duplicate_name', 3],
      ['ambiguous_type', 1],
      ['unknown_dependency', 2],
      ['self_dependency', 4],
      ['missing_prompt', 4],
      ['type_mismatch', 4],
      ['resource_class', 5],
      ['cycle', 5],
    ]);
  });

  it('checks inputs once every task is in: an input may read the output of a task in a later chunk', () => {
    const io: PlanTask[] = [
      { name: 'sum', prompt: 'Summarize {{input.text}}', depends_on: ['cut'], inputs: { text: { from: 'cut' } } },
      { name: 'bad', command: 'cat "$RIGMIND_INPUT_X"', depends_on: ['quiet'], inputs: { x: { from: 'quiet' } } },
      { name: 'cut', command: 'cut -c1-80 in.txt > out.txt', cwd: '/data', output: 'out.txt' },
      { name: 'quiet', command: 'true' },
    ];
    const whole = resolveTasks(io, undefined, {});
    const check = new PlanCheck(undefined);
    for (const task of io) check.add([task]);
    expect(check.finish()).toEqual(whole);
    expect(whole.issues.map((issue) => [issue.code, issue.index])).toEqual([['input_without_output', 1]]);
    const check2 = new PlanCheck(undefined);
    for (const task of io.filter((task) => task.name !== 'bad')) check2.add([task]);
    const sum = check2.finish().tasks.find((task) => task.name === 'sum');
    expect(sum?.inputs).toEqual({ text: { file: '/data/out.txt', from: 'cut' } });
  });
});
