import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import type { PlanStatus } from '@rigmind/protocol';
import { BrainClient } from '../../rig/src/client/brain-client.js';
import { PROCESS_START_MS } from './process-start.js';

/** The repository root and the CLI entry, run from TypeScript source as in development. */
export const REPO = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO, 'rig/src/cli/bin.ts');
export const NODE_ARGS = ['-C', 'source', '--import', 'tsx'];

/** The built CLI (`npm run build`), for benchmarks of what is deployed. */
export const CLI_DIST = join(REPO, 'rig/dist/cli/bin.js');

/** Run the CLI against a home as a real process (from source through tsx, or from dist). */
function spawnCli(home: string, work: string, args: readonly string[], env: Record<string, string>, dist = false) {
  const entry = dist ? [CLI_DIST] : [...NODE_ARGS, CLI];
  return execa(process.execPath, [...entry, '--home', home, ...args], {
    cwd: REPO,
    reject: false,
    env: { RIGMIND_WORK: work, RIGMIND_LOG_LEVEL: 'warn', ...env },
    stdin: 'ignore',
  });
}

/** A CLI process started by the harness. */
export type CliProcess = ReturnType<typeof spawnCli>;

/** Config for tests: ipc sockets in the home (unique per test), fast heartbeats and backoff. */
export interface HarnessOptions {
  readonly heartbeatMs?: number;
  readonly retry?: { base_ms: number; cap_ms: number };
  readonly extraConfig?: Record<string, unknown>;
  /** Run brain and workers from `dist/` (built) instead of the TypeScript source. */
  readonly dist?: boolean;
  /** Folder to make the home in (a small tmpfs, for a full disk); the system's temp folder by default. */
  readonly parentDir?: string;
}

/** A rig home in a temp folder with helpers to run real brain and worker processes against it. */
export class RigHarness {
  readonly home: string;
  readonly work: string;
  readonly router: string;
  readonly pub: string;
  readonly procs = new Set<CliProcess>();
  #client: BrainClient | undefined;
  readonly #dist: boolean;

  constructor(options: HarnessOptions = {}) {
    this.#dist = options.dist === true;
    this.home = mkdtempSync(join(options.parentDir ?? tmpdir(), 'rigmind-test-'));
    this.work = join(this.home, 'work');
    this.router = `ipc://${this.home}/brain.sock`;
    this.pub = `ipc://${this.home}/events.sock`;
    const config = {
      brain: { router: this.router, pub: this.pub },
      heartbeat_ms: options.heartbeatMs ?? 200,
      heartbeat_liveness: 3,
      retry: options.retry ?? { base_ms: 50, cap_ms: 200 },
      ...options.extraConfig,
    };
    writeFileSync(join(this.home, 'config.json'), JSON.stringify(config));
  }

  /** Run the CLI as a real process (not awaited). */
  spawn(args: readonly string[], env: Record<string, string> = {}): CliProcess {
    const proc = spawnCli(this.home, this.work, args, env, this.#dist);
    this.procs.add(proc);
    void proc.finally(() => this.procs.delete(proc));
    return proc;
  }

  /** Run a CLI command to completion. */
  async run(args: readonly string[], env: Record<string, string> = {}) {
    return spawnCli(this.home, this.work, args, env, this.#dist);
  }

  /**
   * Start a brain and wait until it answers. (The process is wrapped: an async function returning it would wait for
   * its exit.)
   */
  async startBrain(args: readonly string[] = []): Promise<{ proc: CliProcess }> {
    const proc = this.spawn(['brain', ...args]);
    // One process start: on a saturated machine that is PROCESS_START_MS, not the 1-2 s of an idle one.
    const result = await this.client.request('status_request', {}, PROCESS_START_MS);
    if (!result.ok) throw new Error(`brain did not start: ${result.message}`);
    return { proc };
  }

  /** Start a worker and wait until the brain lists it. */
  async startWorker(
    id: string,
    extra: readonly string[] = [],
    env: Record<string, string> = {},
  ): Promise<{ proc: CliProcess }> {
    const proc = this.spawn(['worker', '--id', id, ...extra], env);
    await this.until(
      async () => (await this.workers()).some((w) => w.id === id && w.alive),
      PROCESS_START_MS,
      `worker ${id} registered`,
    );
    return { proc };
  }

  /** A client to the brain, shared by the test. */
  get client(): BrainClient {
    this.#client ??= new BrainClient(this.router);
    return this.#client;
  }

  /** Workers the brain knows. */
  async workers() {
    const result = await this.client.request('status_request', {});
    return result.ok && result.value.kind === 'status_reply' ? result.value.workers : [];
  }

  /** A plan's status with every task. */
  async status(planId: string): Promise<PlanStatus> {
    const result = await this.client.request('status_request', { plan_id: planId, include_tasks: true });
    if (!result.ok || result.value.kind !== 'status_reply' || result.value.plans[0] === undefined)
      throw new Error(`no status for ${planId}`);
    return result.value.plans[0];
  }

  /** Poll until `check` holds (bounded). */
  async until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
  }

  /** Wait until a plan is no longer running. */
  async finished(planId: string, timeoutMs = 30_000): Promise<PlanStatus> {
    let last: PlanStatus | undefined;
    await this.until(
      async () => {
        last = await this.status(planId);
        return last.state !== 'running';
      },
      timeoutMs,
      `plan ${planId} to finish`,
    );
    return last as PlanStatus;
  }

  /** The state database, read-only, for assertions on what was recorded. */
  readDb<T>(query: (db: Database.Database) => T): T {
    const db = new Database(join(this.home, 'state.db'), { readonly: true });
    try {
      return query(db);
    } finally {
      db.close();
    }
  }

  /** Stop every process (SIGTERM, then SIGKILL) and delete the home. */
  async cleanup(): Promise<void> {
    await this.#client?.close();
    for (const proc of this.procs) proc.kill('SIGTERM');
    const all = [...this.procs];
    const timer = setTimeout(() => {
      for (const proc of all) proc.kill('SIGKILL');
    }, 5_000);
    await Promise.all(all);
    clearTimeout(timer);
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Whether a process is still alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
