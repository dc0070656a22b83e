import type { RigProfile } from '@rigmind/protocol';
import { DEFAULT_LLM_MODEL, rigSpecFromProfile } from '../scheduler/rig-spec.js';
import {
  DEFAULT_KNOBS,
  type CardView,
  type Decision,
  type Policy,
  type RigSpec,
  type SchedulerKnobs,
} from '../scheduler/types.js';
import { ReadyIndex } from '../scheduler/ready-index.js';
import { modelServersOf } from '../scheduler/upcoming.js';
import { startCardJob, type JobContext } from './card-jobs.js';
import { EventQueue } from './event-queue.js';
import { profileTimings, type RigTimings } from './rig-timings.js';
import { SimCard } from './sim-card.js';
import { SimLookahead } from './sim-lookahead.js';
import { ActiveTasks, buildTaskStates, type SimTaskSpec, type SimTaskState } from './sim-tasks.js';
import type { TraceEntry } from './trace.js';

/** How to run a simulation. */
export interface SimulateOptions {
  readonly profile: RigProfile;
  readonly policy: Policy;
  readonly knobs?: SchedulerKnobs;
  readonly timings?: RigTimings;
  readonly defaultLlmModel?: string;
  /** Limits of the live workers to simulate under (one model per card, no worker LLM on a lent brain card). */
  readonly limits?: Pick<RigSpec, 'oneModelPerCard' | 'lendsLlm'>;
}

/** One task's outcome. */
export interface SimTaskRecord {
  readonly id: string;
  readonly priority: number;
  readonly readyAtS: number;
  readonly startS: number;
  readonly endS: number;
}

/** What a simulation produced. */
export interface SimResult {
  readonly trace: TraceEntry[];
  readonly tasks: SimTaskRecord[];
  readonly preemptions: number;
  readonly makespanS: number;
  readonly policyCalls: number;
}

/** Events allowed per simulation: a fixed allowance plus this many per task and per card (see `simulate`). */
const STEPS_BASE = 10_000;
const STEPS_PER_TASK = 100;

/** The policy left work undone with nothing left to wait for, or made a decision the rig cannot carry out: a bug. */
export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  readonly code = 'simulation_error' as const;
}

/**
 * Run `policy` against a discrete-event model of the rig in virtual time. Each task is submitted at its
 * `submitAtS`; cards go through the real card state machine; the policy is asked again after every batch of
 * events at one instant. Deterministic: the same input gives the same trace.
 */
export function simulate(specs: readonly SimTaskSpec[], options: SimulateOptions): SimResult {
  const rig: RigSpec = { ...rigSpecFromProfile(options.profile), ...options.limits };
  const timings = options.timings ?? profileTimings(options.profile);
  const knobs = options.knobs ?? DEFAULT_KNOBS;
  let now = 0;
  const clock = { now: () => Math.round(now * 1000) };
  const cards = new Map(rig.cards.map((card) => [card.gpu, new SimCard(card.gpu, card.vramMb, clock)]));
  const tasks = buildTaskStates(specs, rig, timings, options.defaultLlmModel ?? DEFAULT_LLM_MODEL);
  const events = new EventQueue();
  // Kept in step as tasks become ready, start and finish, so a decision costs the work in flight, not the whole plan.
  const ready = new ReadyIndex();
  const active = new ActiveTasks();
  const lookahead = new SimLookahead(tasks, rig, knobs);
  const trace: TraceEntry[] = [];
  const runningEnd = new Map<string, number>();
  const runs = new Map<string, { gpus: readonly number[]; entry: TraceEntry }>();
  let cpuBusy = 0;
  let preemptions = 0;
  let policyCalls = 0;
  let pendingWake: number | null = null;

  const card = (gpu: number): SimCard => {
    const found = cards.get(gpu);
    if (found === undefined) throw new SimulationError(`the policy named card ${gpu}, which the rig does not have`);
    return found;
  };
  const becomeReady = (task: SimTaskState): void => {
    task.state = 'ready';
    task.readyAtS = now;
    ready.add({ ...task.sched, readyAtS: now });
  };
  for (const task of tasks.values()) {
    events.push(task.spec.submitAtS, () => {
      task.state = 'blocked';
      active.add(task);
      if (task.waitingOn === 0) becomeReady(task);
    });
  }

  const finish = (task: SimTaskState, gpus: readonly number[]): void => {
    task.state = 'done';
    task.endS = now;
    runningEnd.delete(task.spec.id);
    runs.delete(task.spec.id);
    if (gpus.length === 0) cpuBusy -= 1;
    for (const gpu of gpus) {
      const c = card(gpu);
      c.endRun(task.spec.id);
      c.running = null;
      c.busyUntilS = null;
    }
    for (const id of task.dependents) {
      const next = tasks.get(id);
      if (next === undefined) continue;
      next.waitingOn -= 1;
      if (next.waitingOn === 0 && next.state === 'blocked') becomeReady(next);
    }
  };

  const startRun = (task: SimTaskState, gpus: readonly number[]): void => {
    const model = task.sched.model;
    if (model !== null) {
      for (const gpu of gpus)
        if (!card(gpu).resident.has(model))
          throw new SimulationError(`task ${task.spec.id}: ${model} is not on card ${gpu}`);
      const width = rig.models[model]?.gpus ?? 1;
      const group = card(gpus[0] ?? -1).resident.get(model) ?? [];
      if (gpus.length !== width || group.length !== width || gpus.some((gpu) => !group.includes(gpu))) {
        throw new SimulationError(
          `task ${task.spec.id}: ${model} needs its ${width} card(s) as one instance, got [${gpus.join(', ')}]`,
        );
      }
    }
    const runS = timings.runS(gpus[0] ?? null, model, task.spec.task);
    const kind = model !== null && rig.models[model]?.kind === 'llm' ? 'llm' : 'script';
    for (const gpu of gpus) {
      const c = card(gpu);
      c.beginRun(task.spec.id, kind);
      c.running = {
        taskId: task.spec.id,
        priority: task.sched.priority,
        executor: task.sched.executor,
        model,
        gpus,
        startedAtS: now,
      };
      c.busyUntilS = now + runS;
    }
    task.state = 'running';
    task.startS = now;
    runningEnd.set(task.spec.id, now + runS);
    const entry: TraceEntry = {
      kind: 'run',
      name: task.spec.id,
      model,
      gpus: [...gpus],
      start_s: now,
      end_s: now + runS,
    };
    runs.set(task.spec.id, { gpus, entry });
    trace.push(entry);
    events.push(now + runS, () => {
      // A preempted run was dropped from `runs`; its end is stale.
      if (runs.get(task.spec.id)?.entry === entry) finish(task, gpus);
    });
  };

  const jobs: JobContext = {
    now: () => now,
    card,
    rig,
    timings,
    trace,
    events,
    startRun,
    fail: (message) => new SimulationError(message),
  };
  const startJob = (
    name: string,
    gpus: readonly number[],
    unload: readonly number[],
    load: string | null,
    task: SimTaskState | null,
  ): void => startCardJob(jobs, name, gpus, unload, load, task);

  const apply = (decision: Decision): void => {
    if (decision.kind === 'prepare') return startJob('prepare', decision.gpus, decision.unload, decision.model, null);
    const task = tasks.get(decision.taskId);
    if (decision.kind === 'preempt') {
      const run = runs.get(decision.taskId);
      if (task === undefined || run === undefined || task.state !== 'running')
        throw new SimulationError(`preempt ${decision.taskId}: not running`);
      run.entry.kind = 'preempted';
      run.entry.end_s = now;
      runs.delete(decision.taskId);
      runningEnd.delete(decision.taskId);
      for (const gpu of run.gpus) {
        const c = card(gpu);
        c.token += 1;
        c.endRun(decision.taskId);
        c.running = null;
        c.busyUntilS = null;
      }
      if (run.gpus.length === 0) cpuBusy -= 1;
      task.state = 'ready';
      ready.add({ ...task.sched, readyAtS: task.readyAtS ?? now });
      preemptions += 1;
      return;
    }
    if (task === undefined || task.state !== 'ready') throw new SimulationError(`start ${decision.taskId}: not ready`);
    ready.remove(decision.taskId);
    if (task.sched.taskClass === 'cpu') {
      if (cpuBusy >= rig.cpuSlots) throw new SimulationError(`start ${decision.taskId}: no cpu slot free`);
      cpuBusy += 1;
      return startRun(task, []);
    }
    if (
      task.sched.executor === 'brain' &&
      rig.brain !== null &&
      decision.gpus.some((gpu) => !rig.brain?.gpus.includes(gpu))
    ) {
      throw new SimulationError(`start ${decision.taskId}: a brain task runs on the brain's cards`);
    }
    startJob(decision.taskId, decision.gpus, decision.unload, decision.load, task);
  };

  const decide = (): void => {
    policyCalls += 1;
    const views = [...cards.values()].map((c) => cardView(c, rig));
    const output = options.policy({
      nowS: now,
      ready,
      upcoming: lookahead.upcoming(active.list(), now, runningEnd, modelServersOf(views, rig, knobs)),
      cards: views,
      cpuFree: rig.cpuSlots - cpuBusy,
      rig,
      knobs,
    });
    for (const decision of output.decisions) apply(decision);
    if (output.wakeAtS !== null && output.wakeAtS > now && output.wakeAtS !== pendingWake) {
      pendingWake = output.wakeAtS;
      events.push(output.wakeAtS, () => {
        if (pendingWake === output.wakeAtS) pendingWake = null;
      });
    }
  };

  // Every event is a submission, a phase of a job the policy started, or a wake; a schedule needs a few per task. A
  // policy that keeps moving cards without finishing anything would run forever: past this, it is a bug.
  const maxSteps = STEPS_BASE + STEPS_PER_TASK * (tasks.size + cards.size);
  let steps = 0;
  while (events.size > 0) {
    now = events.peekTime() ?? now;
    while (events.peekTime() === now) {
      steps += 1;
      if (steps > maxSteps) {
        const undone = [...tasks.values()].filter((task) => task.state !== 'done').length;
        throw new SimulationError(
          `the policy made no end: ${steps} events by ${now}s with ${undone} task(s) undone (a livelock)`,
        );
      }
      events.pop()?.run();
    }
    decide();
  }
  const undone = [...tasks.values()].filter((task) => task.state !== 'done');
  if (undone.length > 0)
    throw new SimulationError(
      `the policy stalled at ${now}s with ${undone.length} task(s) undone, e.g. ${undone[0]?.spec.id} ` +
        `(${undone[0]?.state})`,
    );
  trace.sort((a, b) => a.start_s - b.start_s);
  const records = [...tasks.values()].map((task) => ({
    id: task.spec.id,
    priority: task.sched.priority,
    readyAtS: task.readyAtS ?? 0,
    startS: task.startS ?? 0,
    endS: task.endS ?? 0,
  }));
  return {
    trace,
    tasks: records,
    preemptions,
    makespanS: records.reduce((max, task) => Math.max(max, task.endS), 0),
    policyCalls,
  };
}

function cardView(card: SimCard, rig: RigSpec): CardView {
  // A card unloading for a job is shown as the job leaves it: a policy counting the old model as still served would
  // move a second card to the new one, then back again when both hold it (a thrash that never ends).
  const resident =
    card.incoming === undefined
      ? card.resident
      : new Map(card.incoming === null ? [] : [[card.incoming.model, card.incoming.group]]);
  const groups: Record<string, readonly number[]> = {};
  for (const [model, group] of resident) if ((rig.models[model]?.gpus ?? 1) > 1) groups[model] = group;
  return {
    gpu: card.gpu,
    vramMb: card.vramMb,
    models: [...resident.keys()],
    groups,
    busyUntilS: card.busyUntilS,
    running: card.running,
  };
}
