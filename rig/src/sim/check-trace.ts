import type { RigSpec } from '../scheduler/types.js';
import type { TraceEntry } from './trace.js';

/** What the checker must know of each task, derived from the plan (not from the simulator). */
export interface CheckedTask {
  readonly id: string;
  readonly deps: readonly string[];
  /** The model it needs (null: none); ignored for cpu tasks. */
  readonly model: string | null;
  readonly cpu: boolean;
  /** When it was submitted: it cannot start before. */
  readonly submitAtS: number;
  /** Cards it must run on (brain tasks), if fixed. */
  readonly gpus?: readonly number[] | undefined;
}

/** A rule a trace broke. */
export interface TraceViolation {
  readonly rule:
    | 'ran_once'
    | 'unknown_task'
    | 'dependency'
    | 'submitted'
    | 'vram'
    | 'loaded_before_use'
    | 'all_cards'
    | 'card_overlap'
    | 'cpu_slots'
    | 'brain_cards';
  readonly message: string;
}

const EPS = 1e-6;

/**
 * Check a schedule independently of whoever made it: every task ran exactly once, after its dependencies and its
 * submission; every model it used was loaded on all its cards (one instance across both for a two-card model)
 * before the run and not unloaded during it; no card ever held models beyond its VRAM (minus headroom) or did two
 * things at once; cpu runs never exceed the cpu slots. Returns every violation (empty: feasible).
 */
export function checkTrace(
  trace: readonly TraceEntry[],
  tasks: readonly CheckedTask[],
  rig: RigSpec,
): TraceViolation[] {
  const out: TraceViolation[] = [];
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const index = indexModels(trace);
  const runs = new Map<string, TraceEntry>();
  for (const entry of trace) {
    if (entry.kind !== 'run' && entry.kind !== 'preempted') continue;
    if (!byId.has(entry.name))
      out.push({ rule: 'unknown_task', message: `${entry.kind} of unknown task ${entry.name}` });
    if (entry.kind !== 'run') continue;
    if (runs.has(entry.name)) out.push({ rule: 'ran_once', message: `task ${entry.name} ran twice` });
    runs.set(entry.name, entry);
  }
  for (const task of tasks) {
    const run = runs.get(task.id);
    if (run === undefined) {
      out.push({ rule: 'ran_once', message: `task ${task.id} never ran` });
      continue;
    }
    if (run.start_s + EPS < task.submitAtS)
      out.push({
        rule: 'submitted',
        message: `task ${task.id} started at ${run.start_s}s, before its submission at ${task.submitAtS}s`,
      });
    for (const dep of task.deps) {
      const before = runs.get(dep);
      if (before !== undefined && run.start_s + EPS < before.end_s)
        out.push({
          rule: 'dependency',
          message: `task ${task.id} started at ${run.start_s}s before its dependency ${dep} ended at ${before.end_s}s`,
        });
    }
    if (
      task.gpus !== undefined &&
      !task.cpu &&
      (run.gpus.length !== task.gpus.length || run.gpus.some((gpu) => !task.gpus?.includes(gpu)))
    ) {
      out.push({
        rule: 'brain_cards',
        message: `task ${task.id} ran on [${run.gpus.join(', ')}], not its cards [${task.gpus.join(', ')}]`,
      });
    }
    if (!task.cpu && task.model !== null) checkModelHeld(index, run, task.model, rig, out);
  }
  checkCards(trace, rig, out);
  checkCpu(trace, tasks, rig, out);
  return out;
}

/** Loads (by end) and unloads (by start) of each model on each card, so each run's check is a binary search. */
interface ModelIndex {
  readonly loads: Map<string, TraceEntry[]>;
  readonly unloads: Map<string, TraceEntry[]>;
}

const onCard = (gpu: number, model: string): string => `${gpu} ${model}`;

function indexModels(trace: readonly TraceEntry[]): ModelIndex {
  const loads = new Map<string, TraceEntry[]>();
  const unloads = new Map<string, TraceEntry[]>();
  for (const entry of trace) {
    if ((entry.kind !== 'load' && entry.kind !== 'unload') || entry.model === null) continue;
    const into = entry.kind === 'load' ? loads : unloads;
    for (const gpu of entry.gpus) {
      const key = onCard(gpu, entry.model);
      const list = into.get(key) ?? [];
      list.push(entry);
      into.set(key, list);
    }
  }
  for (const list of loads.values()) list.sort((a, b) => a.end_s - b.end_s);
  for (const list of unloads.values()) list.sort((a, b) => a.start_s - b.start_s);
  return { loads, unloads };
}

/** The number of entries of `list` (sorted by `key`) whose key is at most `limit`. */
function countUpTo(list: readonly TraceEntry[], key: (entry: TraceEntry) => number, limit: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (key(list[mid] as TraceEntry) <= limit) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The run's model was loaded as one instance on exactly its cards, before it started, and not dropped during it. */
function checkModelHeld(index: ModelIndex, run: TraceEntry, model: string, rig: RigSpec, out: TraceViolation[]): void {
  const width = rig.models[model]?.gpus ?? 1;
  if (run.gpus.length !== width)
    out.push({
      rule: 'all_cards',
      message: `task ${run.name} ran ${model} on ${run.gpus.length} card(s); it needs ${width}`,
    });
  // The last load of the model that ended by the run's start and covers all the run's cards.
  const first = run.gpus[0];
  const loads = first === undefined ? [] : (index.loads.get(onCard(first, model)) ?? []);
  let load: TraceEntry | undefined;
  for (let i = countUpTo(loads, (entry) => entry.end_s, run.start_s + EPS) - 1; i >= 0 && load === undefined; i -= 1)
    if (run.gpus.every((gpu) => loads[i]?.gpus.includes(gpu))) load = loads[i];
  if (load === undefined || load.gpus.length !== run.gpus.length) {
    out.push({
      rule: 'loaded_before_use',
      message:
        `task ${run.name} ran ${model} on [${run.gpus.join(', ')}] at ${run.start_s}s with no load of it on ` +
        `exactly those cards before`,
    });
    return;
  }
  let dropped: TraceEntry | undefined;
  for (const gpu of run.gpus) {
    const unloads = index.unloads.get(onCard(gpu, model)) ?? [];
    // The first unload starting at or after the load's end.
    const next = unloads[countUpTo(unloads, (entry) => entry.start_s + EPS, load.end_s - 1e-12)];
    if (
      next !== undefined &&
      next.start_s < run.end_s - EPS &&
      (dropped === undefined || next.start_s < dropped.start_s)
    )
      dropped = next;
  }
  if (dropped !== undefined)
    out.push({
      rule: 'loaded_before_use',
      message: `task ${run.name}: ${model} was unloaded at ${dropped.start_s}s, between its load and the run's end`,
    });
}

/** Per card: activities never overlap, and resident models always fit. */
function checkCards(trace: readonly TraceEntry[], rig: RigSpec, out: TraceViolation[]): void {
  for (const { gpu, vramMb } of rig.cards) {
    const mine = trace
      .filter((entry) => entry.gpus.includes(gpu))
      .sort((a, b) => a.start_s - b.start_s || a.end_s - b.end_s);
    let busyUntil = 0;
    let last: TraceEntry | undefined;
    for (const entry of mine) {
      // One unload drops every model on the card at once: one entry per model, one activity.
      const sameUnload =
        entry.kind === 'unload' &&
        last?.kind === 'unload' &&
        last.start_s === entry.start_s &&
        last.end_s === entry.end_s;
      if (!sameUnload && entry.start_s + EPS < busyUntil)
        out.push({
          rule: 'card_overlap',
          message:
            `card ${gpu}: ${entry.kind} ${entry.name} at ${entry.start_s}s overlaps ${last?.kind} ` +
            `${last?.name} until ${busyUntil}s`,
        });
      if (entry.end_s > busyUntil) {
        busyUntil = entry.end_s;
        last = entry;
      }
    }
    const resident = new Set<string>();
    for (const entry of mine) {
      if (entry.kind === 'unload' && entry.model !== null) resident.delete(entry.model);
      if (entry.kind !== 'load' || entry.model === null) continue;
      resident.add(entry.model);
      const used = [...resident].reduce((sum, model) => sum + (rig.models[model]?.vramMbPerGpu ?? 0), 0);
      if (used + rig.headroomMb > vramMb)
        out.push({
          rule: 'vram',
          message:
            `card ${gpu} at ${entry.start_s}s holds ${[...resident].join(' + ')} = ${used} MB ` +
            `(+${rig.headroomMb} headroom) > ${vramMb} MB`,
        });
    }
  }
}

/** cpu runs at any instant never exceed the slots. */
function checkCpu(
  trace: readonly TraceEntry[],
  tasks: readonly CheckedTask[],
  rig: RigSpec,
  out: TraceViolation[],
): void {
  const cpu = new Set(tasks.filter((task) => task.cpu).map((task) => task.id));
  const edges: [number, number][] = [];
  for (const entry of trace) {
    if ((entry.kind === 'run' || entry.kind === 'preempted') && cpu.has(entry.name))
      edges.push([entry.start_s, 1], [entry.end_s, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let level = 0;
  for (const [at, delta] of edges) {
    level += delta;
    if (level > rig.cpuSlots) {
      out.push({ rule: 'cpu_slots', message: `${level} cpu tasks at ${at}s; the rig has ${rig.cpuSlots} slots` });
      return;
    }
  }
}
