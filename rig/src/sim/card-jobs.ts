import { mayLoadBeside } from '../scheduler/rig-spec.js';
import type { RigSpec } from '../scheduler/types.js';
import type { EventQueue } from './event-queue.js';
import type { RigTimings } from './rig-timings.js';
import type { SimCard } from './sim-card.js';
import type { SimTaskState } from './sim-tasks.js';
import type { TraceEntry } from './trace.js';

/** What a card job needs of the simulation it runs in. */
export interface JobContext {
  /** Virtual seconds now. */
  readonly now: () => number;
  readonly card: (gpu: number) => SimCard;
  readonly rig: RigSpec;
  readonly timings: RigTimings;
  readonly trace: TraceEntry[];
  readonly events: EventQueue;
  /** Start the task's run on its cards (the job's last phase). */
  readonly startRun: (task: SimTaskState, gpus: readonly number[]) => void;
  /** The error for a decision the rig cannot carry out. */
  readonly fail: (message: string) => Error;
}

/**
 * Unload, then load, then run (or stop after the load for a prepare), as one job on the cards. Each phase is an event;
 * a card's token, bumped by every new job (and by preemption), makes a stale phase a no-op.
 */
export function startCardJob(
  ctx: JobContext,
  name: string,
  gpus: readonly number[],
  unload: readonly number[],
  load: string | null,
  task: SimTaskState | null,
): void {
  const { card, rig, timings, trace, events, startRun } = ctx;
  const involved = [...new Set([...gpus, ...unload])];
  for (const gpu of involved) if (card(gpu).busyUntilS !== null) throw ctx.fail(`${name}: card ${gpu} is busy`);
  const tokens = new Map(involved.map((gpu) => [gpu, ++card(gpu).token]));
  // Cards freed only for their memory leave the job after the unload; later phases check the job's own cards.
  const live = (cardsOfPhase: readonly number[]): boolean =>
    cardsOfPhase.every((gpu) => card(gpu).token === tokens.get(gpu));
  // A card is busy until its whole job is expected to end, as the live brain sees a leased card: a card loading a
  // model for a task frees after that task, not when the load ends.
  const runS = task === null ? 0 : timings.runS(gpus[0] ?? null, task.sched.model, task.spec.task);
  const loadS = (): number => (load === null ? 0 : Math.max(0, ...gpus.map((gpu) => timings.loadS(gpu, load))));
  const hold = (untilS: number): void => {
    for (const gpu of involved) card(gpu).busyUntilS = gpus.includes(gpu) ? untilS + loadS() + runS : untilS;
  };
  const loadPhase = (): void => {
    for (const gpu of unload) if (!gpus.includes(gpu)) card(gpu).busyUntilS = null;
    if (load === null) return task === null ? release() : startRun(task, gpus);
    const spec = rig.models[load];
    if (spec === undefined) throw ctx.fail(`${name}: model ${load} is not in the rig profile`);
    if (gpus.length !== spec.gpus)
      throw ctx.fail(`${name}: ${load} needs ${spec.gpus} card(s), got [${gpus.join(', ')}]`);
    for (const gpu of gpus) {
      const c = card(gpu);
      if (!mayLoadBeside(rig, c.vramMb, [...c.resident.keys()], load))
        throw ctx.fail(`${name}: ${load} does not fit on card ${gpu} beside ${[...c.resident.keys()].join(', ')}`);
      c.beginLoad(load, spec.kind, gpus);
    }
    const endS = ctx.now() + loadS();
    trace.push({ kind: 'load', name, model: load, gpus: [...gpus], start_s: ctx.now(), end_s: endS });
    for (const gpu of gpus) card(gpu).busyUntilS = endS + runS;
    events.push(endS, () => {
      if (!live(gpus)) return;
      for (const gpu of gpus) card(gpu).endLoad();
      if (task === null) release();
      else startRun(task, gpus);
    });
  };
  const release = (): void => {
    for (const gpu of gpus) card(gpu).busyUntilS = null;
  };
  if (task !== null) {
    task.state = 'running';
    if (task.spec.task.task_class !== 'cpu' && gpus.length === 0)
      throw ctx.fail(`${name}: a gpu task was given no card`);
  }
  const dropping = unload.filter((gpu) => card(gpu).resident.size > 0 || card(gpu).state !== 'idle');
  if (dropping.length === 0) return loadPhase();
  let unloadS = 0;
  const seen = new Set<string>();
  for (const gpu of dropping) {
    const c = card(gpu);
    for (const [model, group] of c.resident) {
      unloadS = Math.max(unloadS, timings.unloadS(gpu, model));
      const key = `${model}@${group.join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const member of group)
        if (!unload.includes(member))
          throw ctx.fail(`${name}: unloading ${model} needs cards [${group.join(', ')}] freed together`);
      trace.push({ kind: 'unload', name, model, gpus: [...group], start_s: ctx.now(), end_s: 0 });
    }
    c.beginUnload();
    c.incoming = load !== null && gpus.includes(gpu) ? { model: load, group: [...gpus] } : null;
  }
  const entries = trace.slice(trace.length - seen.size);
  for (const entry of entries) entry.end_s = ctx.now() + unloadS;
  hold(ctx.now() + unloadS);
  events.push(ctx.now() + unloadS, () => {
    if (!live(involved)) return;
    for (const gpu of dropping) card(gpu).endUnload();
    loadPhase();
  });
}
