import { estimateReadyTimes, type DagNode, type ModelServers } from '../scheduler/upcoming.js';
import type { UpcomingTask } from '../scheduler/types.js';
import type { DepRow, PlanDagRow } from '../store/dag-queries.js';
import type { Store } from '../store/store.js';

/** How the live brain names things the estimate needs. */
export interface BrainEtaInput {
  /** Scheduler seconds of a wall-clock ms (a simulated rig compresses time). */
  readonly seconds: (ms: number) => number;
  readonly estimateOf: (taskClass: 'cpu' | 'script' | 'llm', estimateS: number | null) => number;
  /** The model a task needs: the brain's for a brain task, the default LLM for an llm task naming none. */
  readonly modelOf: (row: {
    executor: 'brain' | 'worker';
    task_class: 'cpu' | 'script' | 'llm';
    model: string | null;
  }) => string | null;
  /** The cards doing the worker work ahead of the brain's (the worker cards). */
  readonly cards: number;
  readonly servers?: ModelServers | undefined;
}

/** Plans bigger than this are not walked every second; their brain tasks are seen one step ahead only. */
const MAX_PLAN_TASKS = 5_000;

/**
 * When the brain's blocked GPU tasks should become ready, from the whole DAG of their plans (the estimate the
 * simulator uses: the longest path, and the worker GPU work still ahead spread over the worker cards). The live
 * policy lends idle brain cards to worker work and takes them back this far ahead, so the brain model is loaded
 * again when its task arrives rather than after. The caller caches it: the DAG moves at the pace of tasks.
 */
export function brainWorkEta(store: Store, now: number, input: BrainEtaInput): UpcomingTask[] {
  const nowS = input.seconds(now);
  const tasks: UpcomingTask[] = [];
  for (const planId of store.dag.plansWithBrainWork()) {
    if (store.dag.planSize(planId) > MAX_PLAN_TASKS) continue;
    const dag = store.dag.planDag(planId);
    tasks.push(...planEta(dag.tasks, dag.deps, nowS, input));
  }
  return tasks;
}

function planEta(
  rows: readonly PlanDagRow[],
  deps: readonly DepRow[],
  nowS: number,
  input: BrainEtaInput,
): UpcomingTask[] {
  const needs = new Map<string, string[]>();
  for (const dep of deps) needs.set(dep.task_id, [...(needs.get(dep.task_id) ?? []), dep.needs_task_id]);
  const nodes: DagNode[] = [];
  const waiting: Omit<UpcomingTask, 'readyAtS' | 'etaS'>[] = [];
  for (const row of rows) {
    const estimateS = input.estimateOf(row.task_class, row.estimate_s);
    const model = input.modelOf(row);
    nodes.push({
      id: row.task_id,
      deps: needs.get(row.task_id) ?? [],
      estimateS,
      state: dagState(row.status),
      endS: row.leased_at === null ? undefined : input.seconds(row.leased_at) + estimateS,
      contended: row.executor === 'brain',
      gpuWorkS: row.task_class === 'cpu' || row.executor === 'brain' ? 0 : estimateS,
      model,
    });
    if (row.executor === 'brain' && row.status === 'blocked' && row.task_class !== 'cpu') {
      waiting.push({
        id: row.task_id,
        taskClass: row.task_class,
        executor: 'brain',
        model,
        priority: row.priority,
        seq: row.seq,
        estimateS,
        vramMb: row.vram_mb ?? 0,
        tailS: 0,
      });
    }
  }
  const etas = estimateReadyTimes(nodes, nowS, Math.max(1, input.cards), input.servers);
  return waiting.map((task) => {
    const etaS = etas.get(task.id) ?? nowS;
    return { ...task, readyAtS: etaS, etaS };
  });
}

/** A task's status as the estimate sees it: failed and canceled work is not coming, so it counts as done. */
function dagState(status: string): DagNode['state'] {
  if (status === 'leased' || status === 'running') return 'running';
  if (status === 'queued') return 'ready';
  if (status === 'blocked') return 'blocked';
  return 'done';
}
