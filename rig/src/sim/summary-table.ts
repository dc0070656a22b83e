import type { SimMetrics } from './metrics.js';

/** What the summary names besides the metrics. */
export interface SummaryContext {
  readonly scenario: string;
  readonly rig: string;
  readonly tasks: number;
}

/** A readable summary of one simulation: headline numbers, then per-card and per-priority tables. */
export function renderSummary(metrics: SimMetrics, context: SummaryContext): string {
  const ratio = metrics.lower_bound_s > 0 ? metrics.makespan_s / metrics.lower_bound_s : 1;
  const lines = [
    `${context.scenario} on ${context.rig}: ${context.tasks} tasks, policy ${metrics.policy}`,
    '',
    `makespan      ${fmt(metrics.makespan_s)} s  (${ratio.toFixed(3)}x the lower bound)`,
    `lower bound   ${fmt(metrics.lower_bound_s)} s  set by ${metrics.lower_bound_by.replace('_', ' ')} ` +
      `(critical path with first loads ${fmt(metrics.critical_path_s)} s, gpu capacity with loads ` +
      `${fmt(metrics.gpu_work_bound_s)} s, arrivals ${fmt(metrics.arrival_bound_s)} s, serial ` +
      `${fmt(metrics.serial_bound_s)} s, cpu ${fmt(metrics.cpu_bound_s)} s)`,
    `swaps         ${metrics.swaps}`,
    `preemptions   ${metrics.preemptions}`,
    ...guardLines(metrics),
    `loads         ${
      Object.entries(metrics.loads_by_model)
        .map(([model, count]) => `${model} x${count}`)
        .join(', ') || 'none'
    }`,
    '',
    table(
      ['card', 'busy'],
      Object.entries(metrics.gpu_busy_fraction).map(([gpu, busy]) => [gpu, `${(busy * 100).toFixed(1)}%`]),
    ),
    '',
    table(
      ['priority', 'tasks', 'mean wait s', 'max wait s'],
      Object.entries(metrics.wait_s).map(([priority, wait]) => [
        priority,
        String(wait.count),
        fmt(wait.mean),
        fmt(wait.max),
      ]),
    ),
  ];
  return lines.join('\n');
}

/** Only when the guard handed the rig to naive: each change of driver, with the forecasts it was made by. */
function guardLines(metrics: SimMetrics): string[] {
  if (metrics.guard.every((choice) => choice.policy === 'swap-aware')) return [];
  let driver = 'swap-aware';
  const changes: string[] = [];
  for (const choice of metrics.guard) {
    if (choice.policy === driver) continue;
    driver = choice.policy;
    changes.push(
      `${driver} from ${fmt(choice.at_s)} s (forecast: naive ${fmt(choice.naive_s)} s, swap-aware ` +
        `${fmt(choice.swap_aware_s)} s)`,
    );
  }
  return [`guard         ${changes.join('; ')}`];
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
