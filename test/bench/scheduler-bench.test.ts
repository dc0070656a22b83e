import { describe, expect, it } from 'vitest';
import { run } from '../../bench/sim/scheduler-table.js';

// The scheduler bench is run by hand (`npm run bench -- scheduler`); a tiny run here keeps it from rotting: every
// example and generated workload gets a row, every policy finishes with a feasible trace, and the metrics are numbers.
describe('the scheduler bench', () => {
  it('prints a row per workload at a tiny scale, with feasible schedules for both policies', async () => {
    const lines: string[] = [];
    const result = await run({ scale: 0.1, randomPlans: 20, print: (line) => lines.push(line) });
    const rows = lines.slice(2, -5);
    expect(rows.map((row) => row.split(' | ')[0])).toEqual([
      '| autofix.md',
      '| demo.md',
      '| diamond.yaml',
      '| inputs.yaml',
      '| video-pipeline-12.json',
      '| mixed-hour.json',
      '| gen: alternating',
      '| gen: fan-out chains',
      '| gen: two-card 14B',
      '| gen: urgent arrivals',
      '| gen: brain loop',
    ]);
    expect(lines.join('\n')).not.toMatch(/INFEASIBLE|failed:/);
    expect(lines.slice(-4)).toEqual([
      expect.stringMatching(
        /^random plans \(seed 4242, 20 plans of up to 60 tasks, submitted at 0, 30, 120 or 400 s\):$/,
      ),
      expect.stringMatching(/^- swap-aware \(guarded\) slower than naive on \d+ \(worst [\d.]+x\)/),
      expect.stringMatching(/^- swap-aware without the guard slower than naive on \d+ /),
      expect.stringMatching(/^- the same plans submitted at once: swap-aware \(guarded\) slower than naive on \d+ /),
    ]);
    const values = Object.values(result.metrics);
    expect(values.length).toBeGreaterThanOrEqual(30);
    expect(values.filter((value) => !Number.isFinite(value))).toEqual([]);
  });
});
