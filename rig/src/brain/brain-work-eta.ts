import { estimateReadyTimes, type DagNode, type ModelServers } from '../scheduler/upcoming.js';
import type { UpcomingTask } from '../scheduler/types.js';
import type { Store } from '../store/store.js';

/** A task of a plan that still has brain work ahead, as the query returns it. */
interface PlanTaskRow {
  task_id: string;
  status: string;
  executor: 'brain' | 'worker';
  /** Never `resource`: the query leaves the brain's own load/unload tasks out. */
  task_class: 'cpu' | 'script' | 'llm';
  model: string | null;
  priority: number;
  seq: number;
  estimate_s: number | null;
  vram_mb: number | null;
  leased_at: number | null;
}

/** How the live brain names things the estimate needs. */
export interface BrainEtaInput {
  /** Scheduler seconds of a wall-clock ms (a simulated rig compresses time). */
  readonly seconds: (ms: number) => number;
  readonly estimateOf: (taskClass: 'cpu' | 'script' | 'llm', estimateS: number | null) => number;
  /** The model a task needs: the brain's for a brain task, the default LLM for an llm task naming none. */
  readonly modelOf: (row: { executor: 'brain' | 'worker'; task_class: 'cpu' | 'script' | 'llm'; model: string | null }) => string | null;
  /** The cards doing the worker work ahead of the brain's (the worker cards). */
  readonly cards: number;
  readonly servers?: ModelServers | undefined;
}

const PLANS_SQL = `SELECT DISTINCT plan_id FROM tasks
  WHERE status = 'blocked' AND executor = 'brain' AND task_class IN ('llm', 'script')`;
const TASKS_SQL = `SELECT t.task_id, t.status, t.executor, t.task_class, t.model, t.priority, t.seq, t.estimate_s, t.vram_mb, l.leased_at
  FROM tasks t LEFT JOIN leases l ON l.task_id = t.task_id
  WHERE t.plan_id = ? AND t.task_class != 'resource' ORDER BY t.seq`;
const COUNT_SQL = 'SELECT count(*) FROM tasks WHERE plan_id = ?';
const DEPS_SQL = 'SELECT d.task_id, d.needs_task_id FROM deps d JOIN tasks t ON t.task_id = d.task_id WHERE t.plan_id = ?';

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
  for (const planId of store.stmt(PLANS_SQL).pluck().all() as string[]) {
    if ((store.stmt(COUNT_SQL).pluck().get(planId) as number) > MAX_PLAN_TASKS) continue;
    const rows = store.stmt(TASKS_SQL).all(planId) as PlanTaskRow[];
    tasks.push(...planEta(rows, store.stmt(DEPS_SQL).all(planId) as { task_id: string; needs_task_id: string }[], nowS, input));
  }
  return tasks;
}

function planEta(rows: readonly PlanTaskRow[], deps: readonly { task_id: string; needs_task_id: string }[], nowS: number, input: BrainEtaInput): UpcomingTask[] {
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
      waiting.push({ id: row.task_id, taskClass: row.task_class, executor: 'brain', model, priority: row.priority, seq: row.seq, estimateS, vramMb: row.vram_mb ?? 0, tailS: 0 });
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
