import type { Executor, Task, TaskClass, TaskInput, TaskStatus, TaskType } from '@rigmind/protocol';

/** A task as the brain stores it, before ids and status: what plan resolution produces. */
export interface NewTask {
  readonly name: string;
  readonly type: TaskType;
  readonly command?: string | undefined;
  readonly prompt?: string | undefined;
  readonly model?: string | undefined;
  readonly task_class: TaskClass;
  readonly executor: Executor;
  readonly depends_on: readonly string[];
  readonly priority: number;
  readonly max_retries: number;
  readonly timeout_s: number;
  readonly estimate_s?: number | undefined;
  readonly vram_mb?: number | undefined;
  readonly requires_external: boolean;
  readonly sensitive: boolean;
  readonly fix_applied?: string | undefined;
  readonly cwd?: string | undefined;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly inputs?: Readonly<Record<string, TaskInput>> | undefined;
  readonly output?: string | undefined;
  readonly images?: readonly string[] | undefined;
  readonly confidence?: boolean | undefined;
}

/** A task's reads and writes, kept together in its `io` column (JSON): only workers look inside. */
export type TaskIo = Pick<Task, 'inputs' | 'output' | 'images' | 'confidence'>;

/** The `io` column of a new task: its inputs, output, images and confidence flag, or null when it has none. */
export function ioColumn(task: NewTask): string | null {
  const io: Record<string, unknown> = {};
  if (task.inputs !== undefined) io['inputs'] = task.inputs;
  if (task.output !== undefined) io['output'] = task.output;
  if (task.images !== undefined) io['images'] = task.images;
  if (task.confidence !== undefined) io['confidence'] = task.confidence;
  return Object.keys(io).length === 0 ? null : JSON.stringify(io);
}

/** A row of the tasks table. */
export interface TaskRow {
  task_id: string;
  plan_id: string;
  seq: number;
  name: string;
  type: TaskType;
  command: string | null;
  prompt: string | null;
  model: string | null;
  task_class: TaskClass;
  executor: Executor;
  depends_on: string;
  priority: number;
  status: TaskStatus;
  created_at: string;
  retry_count: number;
  max_retries: number;
  timeout_s: number;
  estimate_s: number | null;
  vram_mb: number | null;
  requires_external: number;
  sensitive: number;
  source: string;
  fix_applied: string | null;
  cwd: string | null;
  env: string | null;
  /** Inputs, output, images and the confidence flag (JSON), or null: see {@link ioColumn}. */
  io: string | null;
  pending_deps: number;
  queued_at: number | null;
  next_attempt_at: number | null;
  attempts: number;
  /** Times the scheduler stopped it for urgent work and put it back in the queue (not failures). */
  preemptions: number;
  /** Times its worker died or came back without it (not failures; capped by max_lost_leases). */
  lost_leases: number;
  cause: string | null;
  output: string | null;
  finished_at: string | null;
  /** The brain's model's last judgement of a failure (JSON: {@link JudgementNote}), or null. */
  judgement: string | null;
}

/** A row of the plans table. */
export interface PlanRow {
  plan_id: string;
  name: string;
  description: string | null;
  notes: string | null;
  source: string;
  allow_external_sensitive: number;
  state: 'running' | 'completed' | 'failed' | 'canceled';
  submitted_at: string;
  finished_at: string | null;
}

/** A row of the attempts table. */
export interface AttemptRow {
  task_id: string;
  attempt: number;
  worker_id: string | null;
  started_at: string;
  ended_at: string | null;
  outcome: string | null;
  return_code: number | null;
  signal: string | null;
  elapsed_seconds: number | null;
  output_lines: number | null;
  error_snippet: string | null;
  stdout_path: string | null;
  stderr_path: string | null;
  tokens_generated: number | null;
  tokens_per_second: number | null;
  simulated: number;
}

/** A task row as the protocol's Task, for dispatch. */
export function rowToTask(row: TaskRow): Task {
  const task: Task = {
    task_id: row.task_id,
    plan_id: row.plan_id,
    name: row.name,
    type: row.type,
    task_class: row.task_class,
    executor: row.executor,
    depends_on: JSON.parse(row.depends_on) as string[],
    priority: row.priority,
    status: row.status,
    created_at: row.created_at,
    retry_count: row.retry_count,
    max_retries: row.max_retries,
    timeout_s: row.timeout_s,
    requires_external: row.requires_external === 1,
    sensitive: row.sensitive === 1,
    source: row.source,
  };
  if (row.command !== null) task.command = row.command;
  if (row.prompt !== null) task.prompt = row.prompt;
  if (row.model !== null) task.model = row.model;
  if (row.estimate_s !== null) task.estimate_s = row.estimate_s;
  if (row.vram_mb !== null) task.vram_mb = row.vram_mb;
  if (row.fix_applied !== null) task.fix_applied = row.fix_applied;
  if (row.cwd !== null) task.cwd = row.cwd;
  if (row.env !== null) task.env = JSON.parse(row.env) as Record<string, string>;
  if (row.io !== null) Object.assign(task, JSON.parse(row.io) as TaskIo);
  return task;
}
