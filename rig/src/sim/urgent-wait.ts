import { canHold, mayLoadBeside } from '../scheduler/rig-spec.js';
import type { RigSpec } from '../scheduler/types.js';
import type { CheckedTask } from './check-trace.js';
import type { SimTaskRecord } from './simulator.js';
import type { TraceEntry } from './trace.js';

/** How long an urgent GPU task waited, against the earliest any card could have started it. */
export interface UrgentWait {
  readonly id: string;
  readonly readyS: number;
  readonly startS: number;
  /** The earliest start any card (or set of cards) could have given it, counting loads: see {@link urgentWaits}. */
  readonly earliestS: number;
  readonly waitS: number;
  /** startS - earliestS: what the policy lost. The target is at most 10 s. */
  readonly overS: number;
}

const EPS = 1e-6;

/**
 * For each GPU task of priority `urgentPriority` or more: when it became ready (r), when it started, and the earliest
 * moment any card could have started it. A card is taken as it was at r in this very trace: the job it was doing at
 * r (the unload, load and run made for one task, or a prepare) runs to its end, as committed; then the card switches
 * to the task's model: nothing if the model is resident, its load if it fits beside what is there, else an unload
 * and the load. A task on several cards takes the cards that could be ready soonest; a brain task the brain's cards.
 * Among urgent tasks the order is the policy's: what is measured is that an urgent task waits only for loads and
 * for other urgent work. A card that began the job of another urgent task (its loads or run, named for it) before
 * this one started, that task being ready by the moment the card could have started this one, is counted free only
 * when that task ends, unless this task would have fit in the gap before that job: two urgent tasks are not each
 * given the same card. Preempting a running task is not counted: it would cost that task its work.
 */
export function urgentWaits(
  trace: readonly TraceEntry[],
  records: readonly SimTaskRecord[],
  tasks: readonly CheckedTask[],
  rig: RigSpec,
  urgentPriority: number,
): UrgentWait[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const perCard = new Map<number, TraceEntry[]>(rig.cards.map((card) => [card.gpu, []]));
  for (const entry of trace) for (const gpu of entry.gpus) perCard.get(gpu)?.push(entry);
  for (const list of perCard.values()) list.sort((a, b) => a.start_s - b.start_s);
  const out: UrgentWait[] = [];
  const urgent = records.filter((record) => record.priority >= urgentPriority && byId.get(record.id)?.cpu === false);
  // Every urgent task's job per card, in the order the cards began them.
  const jobs = urgent
    .flatMap((record) => [...jobsOf(record, perCard)].map(([gpu, job]) => ({ id: record.id, gpu, ...job })))
    .sort((a, b) => a.startS - b.startS);
  for (const record of urgent) {
    const task = byId.get(record.id);
    if (task === undefined) continue;
    const r = record.readyAtS;
    const model = task.model;
    const runS = record.endS - record.startS;
    const ready = rig.cards.map((card) => {
      const entries = perCard.get(card.gpu) ?? [];
      let free = Math.max(r, jobEnd(entries, r));
      let at = free + switchS(rig, card.vramMb, residentAt(entries, free), model);
      for (const job of jobs) {
        if (job.gpu !== card.gpu || job.id === record.id || job.startS >= record.startS) continue;
        // Not waiting yet when the card could have taken this task, or this task fits in the gap before that job.
        if (job.endS <= free || job.readyS > at + EPS || job.startS >= at + runS - EPS) continue;
        free = job.endS;
        at = free + switchS(rig, card.vramMb, residentAt(entries, free), model);
      }
      return { gpu: card.gpu, at };
    });
    const width = task.gpus?.length ?? (model === null ? 1 : (rig.models[model]?.gpus ?? 1));
    const usable = task.gpus === undefined ? ready : ready.filter((card) => task.gpus?.includes(card.gpu));
    const soonest = usable.map((card) => card.at).sort((a, b) => a - b);
    const earliestS = soonest[Math.min(width, soonest.length) - 1] ?? r;
    out.push({
      id: record.id,
      readyS: r,
      startS: record.startS,
      earliestS,
      waitS: record.startS - r,
      overS: record.startS - earliestS,
    });
  }
  return out;
}

/** An urgent task's job on each card it ran on: from its first load or unload named for it to its run's end. */
type Jobs = Map<number, { readonly readyS: number; readonly startS: number; readonly endS: number }>;

function jobsOf(record: SimTaskRecord, perCard: ReadonlyMap<number, readonly TraceEntry[]>): Jobs {
  const jobs: Jobs = new Map();
  for (const [gpu, entries] of perCard) {
    const own = entries.filter((entry) => entry.name === record.id);
    if (!own.some((entry) => entry.kind === 'run' && entry.end_s === record.endS)) continue;
    const startS = Math.min(...own.map((entry) => entry.start_s));
    jobs.set(gpu, { readyS: record.readyAtS, startS, endS: record.endS });
  }
  return jobs;
}

/** Seconds to get `model` onto a card holding `resident`: 0, a load beside, or an unload and a load. */
function switchS(rig: RigSpec, vramMb: number, resident: readonly string[], model: string | null): number {
  if (!canHold(rig, vramMb, model)) return Infinity;
  if (model === null || resident.includes(model)) return 0;
  const loadS = rig.models[model]?.loadS ?? 0;
  return mayLoadBeside(rig, vramMb, resident, model) ? loadS : rig.unloadS + loadS;
}

/** When the job a card was doing at `at` ends (`at` or before if it was free): phases of one job share its name. */
function jobEnd(entries: readonly TraceEntry[], at: number): number {
  let current: TraceEntry | undefined;
  for (const entry of entries) if (entry.start_s < at - EPS) current = entry;
  if (current === undefined) return at;
  let end = Math.max(...entries.filter((e) => e.start_s === current.start_s).map((e) => e.end_s));
  for (const entry of entries)
    if (entry.name === current.name && entry.start_s > current.start_s && Math.abs(entry.start_s - end) < EPS)
      end = entry.end_s;
  return end;
}

/** The models resident on a card after everything that started before `at`. */
function residentAt(entries: readonly TraceEntry[], at: number): string[] {
  const resident = new Set<string>();
  for (const entry of entries) {
    if (entry.start_s >= at - EPS || entry.model === null) continue;
    if (entry.kind === 'load') resident.add(entry.model);
    if (entry.kind === 'unload') resident.delete(entry.model);
  }
  return [...resident];
}
