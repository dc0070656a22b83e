import type { PlanTask } from '@rigmind/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { topoOrder } from '../../../rig/src/plan/topo-order.js';

/** A random DAG: task i may depend only on tasks listed before it in a hidden order, then the file is shuffled. */
const dagArbitrary = fc
  .integer({ min: 1, max: 60 })
  .chain((count) =>
    fc.record({
      count: fc.constant(count),
      edges: fc.array(fc.tuple(fc.nat(count - 1), fc.nat(count - 1)), { maxLength: count * 3 }),
      shuffle: fc.shuffledSubarray([...Array(count).keys()], { minLength: count, maxLength: count }),
    }),
  )
  .map(({ count, edges, shuffle }) => {
    // Hidden rank r: an edge always points from the higher rank to the lower, so there is no cycle.
    const deps = Array.from({ length: count }, () => new Set<number>());
    for (const [x, y] of edges) if (x !== y) deps[Math.max(x, y)]!.add(Math.min(x, y));
    const tasks: PlanTask[] = shuffle.map((rank) => ({
      name: `t${rank}`,
      command: 'true',
      task_class: 'cpu',
      depends_on: [...deps[rank]!].map((dep) => `t${dep}`),
    }));
    return { tasks, deps };
  });

describe('topological order (property)', () => {
  it('contains every task once, each after all of its dependencies', () => {
    fc.assert(
      fc.property(dagArbitrary, ({ tasks }) => {
        const result = resolvePlan({ plan: 'p', tasks });
        if (!result.ok) return false;
        const position = new Map(result.value.tasks.map((task, i) => [task.name, i]));
        expect(result.value.tasks).toHaveLength(tasks.length);
        expect(position.size).toBe(tasks.length);
        for (const task of result.value.tasks)
          for (const dep of task.depends_on) expect(position.get(dep)!).toBeLessThan(position.get(task.name)!);
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('reports a cycle naming the back edge once one is added to a path', () => {
    fc.assert(
      fc.property(dagArbitrary, fc.nat(), fc.nat(), ({ tasks, deps }, pickLow, pickHigh) => {
        // Build a real path low -> ... -> high by walking dependencies down from `high`, then close it with a back
        // edge.
        const high = pickHigh % deps.length;
        const path = [high];
        for (let at = high; deps[at]!.size > 0; ) {
          const next = [...deps[at]!][pickLow % deps[at]!.size]!;
          path.push(next);
          at = next;
        }
        const low = path[path.length - 1]!;
        const withBack = tasks.map((task) =>
          task.name === `t${low}` ? { ...task, depends_on: [...(task.depends_on ?? []), `t${high}`] } : task,
        );
        const result = resolvePlan({ plan: 'p', tasks: withBack });
        expect(result.ok).toBe(false);
        if (result.ok) return;
        const codes = result.issues.map((issue) => issue.code);
        expect(codes).toContain(low === high ? 'self_dependency' : 'cycle');
        for (const issue of result.issues.filter((found) => found.code === 'cycle')) {
          const names = /dependency cycle: (.*) \(/.exec(issue.message)![1]!.split(' -> ');
          expect(names[0]).toBe(names[names.length - 1]);
          // Each named task really depends on the next one.
          const byName = new Map(withBack.map((task) => [task.name, task]));
          for (let i = 0; i + 1 < names.length; i++) expect(byName.get(names[i]!)?.depends_on).toContain(names[i + 1]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('topoOrder', () => {
  it('orders by index among ready tasks and leaves cyclic tasks out of the order', () => {
    expect(topoOrder(4, [[], [], [], []])).toEqual({ order: [0, 1, 2, 3], cycles: [] });
    const tangled = topoOrder(5, [[], [2], [1], [2], [0]]);
    expect(tangled.order).toEqual([0, 4]);
    expect(tangled.cycles).toEqual([[1, 2]]);
  });

  it('handles a 100,000-task chain without overflowing the stack', () => {
    const count = 100_000;
    const deps = Array.from({ length: count }, (_, i) => (i === 0 ? [count - 1] : [i - 1]));
    const { order, cycles } = topoOrder(count, deps);
    expect(order).toEqual([]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(count);
  });
});
