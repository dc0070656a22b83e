import type { RigSpec } from '../scheduler/types.js';
import type { TraceEntry } from './trace.js';

/** What the chart says besides the trace. */
export interface GanttOptions {
  readonly title: string;
}

const LEFT = 96;
const CHART_W = 1200;
const ROW_H = 24;
const BAR_H = 18;
const TOP = 40;
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#17becf',
  '#bcbd22',
  '#8c564b',
];
const NO_MODEL = '#9e9e9e';
const TICKS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

/**
 * A Gantt chart of a trace as plain SVG: one row per card (then cpu lanes), one bar per run, load, unload and cut-short
 * run (a `<g class="bar KIND">` with a rect on each of its cards' rows and a tooltip), a colour per model, a time
 * axis in seconds and a legend.
 */
export function traceToSvg(trace: readonly TraceEntry[], rig: RigSpec, options: GanttOptions): string {
  const brain = new Set(rig.brain?.gpus ?? []);
  const rows = new Map<string, number>();
  const labels: string[] = [];
  for (const card of [...rig.cards].sort((a, b) => a.gpu - b.gpu)) {
    rows.set(`gpu${card.gpu}`, labels.length);
    labels.push(`gpu ${card.gpu}${brain.has(card.gpu) ? ' (brain)' : ''}`);
  }
  const cpuLane = cpuLanes(trace);
  const lanes = Math.max(0, ...cpuLane.values()) + (cpuLane.size > 0 ? 1 : 0);
  for (let lane = 0; lane < lanes; lane += 1) {
    rows.set(`cpu${lane}`, labels.length);
    labels.push(`cpu ${lane + 1}`);
  }
  const end = Math.max(1, ...trace.map((entry) => entry.end_s));
  const x = (seconds: number): number => LEFT + (seconds / end) * CHART_W;
  const models = [...new Set(trace.map((entry) => entry.model).filter((m): m is string => m !== null))].sort();
  const colour = (model: string | null): string =>
    model === null ? NO_MODEL : (PALETTE[models.indexOf(model) % PALETTE.length] ?? NO_MODEL);
  const chartBottom = TOP + labels.length * ROW_H;
  const height = chartBottom + 60 + Math.ceil((models.length + 3) / 4) * 18;
  const width = LEFT + CHART_W + 24;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${xmlText(options.title)}</text>`,
  ];
  labels.forEach((label, row) => {
    const y = TOP + row * ROW_H;
    const band = row % 2 === 0 ? '#f5f5f5' : '#ffffff';
    out.push(
      `<rect x="${LEFT}" y="${y}" width="${CHART_W}" height="${ROW_H}" fill="${band}"/>`,
      `<text x="${LEFT - 8}" y="${y + ROW_H / 2 + 4}" text-anchor="end">${xmlText(label)}</text>`,
    );
  });
  const step = TICKS.find((tick) => end / tick <= 12) ?? end;
  for (let t = 0; t <= end + 1e-9; t += step) {
    const tx = fixed(x(t));
    out.push(
      `<line x1="${tx}" y1="${TOP}" x2="${tx}" y2="${chartBottom + 4}" stroke="#cccccc" stroke-width="0.5"/>`,
      `<text x="${tx}" y="${chartBottom + 16}" text-anchor="middle">${t} s</text>`,
    );
  }
  for (const [i, entry] of trace.entries())
    out.push(bar(entry, entry.gpus.length === 0 ? [`cpu${cpuLane.get(i) ?? 0}`] : null));
  out.push(...legend(models, colour, chartBottom + 36));
  out.push('</svg>', '');
  return out.join('\n');

  function bar(entry: TraceEntry, cpuRows: readonly string[] | null): string {
    const keys = cpuRows ?? entry.gpus.map((gpu) => `gpu${gpu}`);
    const x0 = x(entry.start_s);
    const w = Math.max(0.5, x(entry.end_s) - x0);
    const fill = entry.kind === 'unload' ? '#555555' : colour(entry.model);
    const style =
      entry.kind === 'load'
        ? `fill="${fill}" fill-opacity="0.35" stroke="${fill}" stroke-dasharray="3 2"`
        : entry.kind === 'unload'
          ? `fill="${fill}" fill-opacity="0.5"`
          : entry.kind === 'preempted'
            ? `fill="${fill}" fill-opacity="0.6" stroke="#d62728" stroke-width="1.5"`
            : `fill="${fill}" stroke="#ffffff" stroke-width="0.5"`;
    const what = `${entry.kind} ${entry.name}${entry.model === null ? '' : ` (${entry.model})`}`;
    const where = entry.gpus.length === 0 ? 'cpu' : `gpu ${entry.gpus.join('+')}`;
    const parts = [
      `<g class="bar ${entry.kind}">`,
      `<title>${xmlText(`${what} on ${where}: ${entry.start_s} - ${entry.end_s} s`)}</title>`,
    ];
    for (const key of keys) {
      const y = TOP + (rows.get(key) ?? 0) * ROW_H + (ROW_H - BAR_H) / 2;
      parts.push(`<rect x="${fixed(x0)}" y="${y}" width="${fixed(w)}" height="${BAR_H}" ${style}/>`);
      if (entry.kind === 'run' && w > 7 * entry.name.length)
        parts.push(`<text x="${fixed(x0 + 3)}" y="${y + BAR_H - 5}" fill="#ffffff">${xmlText(entry.name)}</text>`);
    }
    parts.push('</g>');
    return parts.join('');
  }
}

/** Lanes for cpu runs (trace index to lane): each run takes the lowest lane free at its start. */
function cpuLanes(trace: readonly TraceEntry[]): Map<number, number> {
  const lanes: number[] = [];
  const out = new Map<number, number>();
  trace.forEach((entry, i) => {
    if (entry.gpus.length > 0 || (entry.kind !== 'run' && entry.kind !== 'preempted')) return;
    let lane = lanes.findIndex((freeAt) => freeAt <= entry.start_s + 1e-9);
    if (lane < 0) lane = lanes.push(0) - 1;
    lanes[lane] = entry.end_s;
    out.set(i, lane);
  });
  return out;
}

function legend(models: readonly string[], colour: (model: string | null) => string, top: number): string[] {
  const items: { label: string; fill: string; extra: string }[] = [
    ...models.map((model) => ({ label: model, fill: colour(model), extra: '' })),
    { label: 'no model / cpu', fill: NO_MODEL, extra: '' },
    { label: 'load (dashed)', fill: '#777777', extra: ' fill-opacity="0.35" stroke="#777777" stroke-dasharray="3 2"' },
    { label: 'unload', fill: '#555555', extra: ' fill-opacity="0.5"' },
  ];
  return items.map((item, i) => {
    const lx = LEFT + (i % 4) * 280;
    const ly = top + Math.floor(i / 4) * 18;
    return (
      `<rect x="${lx}" y="${ly - 10}" width="14" height="12" fill="${item.fill}"${item.extra}/>` +
      `<text x="${lx + 20}" y="${ly}">${xmlText(item.label)}</text>`
    );
  });
}

function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function xmlText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
