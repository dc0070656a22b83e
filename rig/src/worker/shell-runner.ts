import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { execa, type Options } from 'execa';
import type { AttemptResult } from '@rigmind/protocol';
import type { Sentinel } from './sentinel.js';
import { tail, type RunRequest, type TaskRunner } from './task-runner.js';

/** How a shell task's environment is built. */
export interface ShellEnvironment {
  /** GPU indices this worker owns: CUDA_VISIBLE_DEVICES. Empty hides every card from cpu work. */
  readonly gpus: readonly number[];
  /** Prepended to LD_LIBRARY_PATH (the CUDA libraries), if set. */
  readonly ldLibraryPath?: string | undefined;
  /** The parent's LD_LIBRARY_PATH. */
  readonly inheritedLdLibraryPath?: string | undefined;
  /** Grace between SIGTERM and SIGKILL on timeout or cancel (ms). */
  readonly killGraceMs: number;
}

/**
 * Runs shell tasks with bash in their own process group. CUDA_VISIBLE_DEVICES and LD_LIBRARY_PATH are in the child's
 * environment before it starts (the seed's hard-won lesson: CUDA reads them at import). A timeout or a cancel kills
 * the whole group, and so does the end of the task: nothing it started outlives it.
 */
export class ShellRunner implements TaskRunner {
  constructor(
    private readonly env: ShellEnvironment,
    private readonly sentinel: Sentinel,
  ) {}

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const command = task.command ?? '';
    const ld = [this.env.ldLibraryPath, this.env.inheritedLdLibraryPath].filter((part) => part !== undefined && part !== '').join(':');
    let timedOut = false;
    let canceled = false;
    // The child writes straight into the files (its fds are the files'), with no pipe through this process.
    const outFd = openSync(request.stdoutPath, 'w');
    const errFd = openSync(request.stderrPath, 'w');
    const options = {
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'ignore',
      stdout: createWriteStream(request.stdoutPath, { fd: outFd, autoClose: false }),
      stderr: createWriteStream(request.stderrPath, { fd: errFd, autoClose: false }),
      ...(task.cwd !== undefined ? { cwd: task.cwd } : {}),
      env: {
        ...task.env,
        CUDA_VISIBLE_DEVICES: this.env.gpus.join(','),
        ...(ld !== '' ? { LD_LIBRARY_PATH: ld } : {}),
        RIGMIND_TASK_ID: task.task_id,
        RIGMIND_PLAN_ID: task.plan_id,
        RIGMIND_ATTEMPT: String(request.attempt),
      },
    } satisfies Options;
    const child = execa('bash', ['-c', command], options);
    closeSync(outFd);
    closeSync(errFd);
    const pgid = child.pid;
    if (pgid !== undefined) this.sentinel.watch(pgid);
    request.onStarted(pgid ?? null);
    const kill = () => {
      if (pgid === undefined) return;
      signalGroup(pgid, 'SIGTERM');
      setTimeout(() => signalGroup(pgid, 'SIGKILL'), this.env.killGraceMs).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, task.timeout_s * 1000);
    const onAbort = () => {
      canceled = true;
      kill();
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    const result = await child;
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
    if (pgid !== undefined) {
      // Whatever the task left behind in its group goes with it.
      signalGroup(pgid, 'SIGKILL');
      this.sentinel.forget(pgid);
    }
    const elapsed = (performance.now() - started) / 1000;
    const code = typeof result.exitCode === 'number' ? result.exitCode : null;
    const signal = result.signal ?? null;
    const spawnError = result.failed && code === null && signal === null ? result.shortMessage : undefined;
    const outcome = timedOut ? 'timeout' : canceled ? 'canceled' : spawnError !== undefined ? 'error' : code === 0 ? 'completed' : 'failed';
    const stderrTail = readTail(request.stderrPath, 800);
    return {
      outcome,
      return_code: code,
      signal,
      elapsed_seconds: elapsed,
      output_lines: await countLines(request.stdoutPath),
      error_snippet: tail(spawnError ?? (timedOut ? `${stderrTail}\n[rigmind] timed out after ${task.timeout_s}s` : stderrTail)),
      stdout_path: request.stdoutPath,
      stderr_path: request.stderrPath,
    };
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone: nothing to kill.
  }
}

function readTail(path: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8').trimEnd();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function countLines(path: string): Promise<number> {
  const data = readSmall(path);
  if (data !== undefined) return linesIn(data);
  let lines = 0;
  let last = 10;
  let any = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    any = any || chunk.length > 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  return any && last !== 10 ? lines + 1 : lines;
}

/** A file's bytes when it is small enough to read at once (most task output is). */
function readSmall(path: string): Buffer | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      return fstatSync(fd).size <= 1024 * 1024 ? readFileSync(fd) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return Buffer.alloc(0);
  }
}

function linesIn(data: Buffer): number {
  let lines = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines += 1;
  return data.length > 0 && data[data.length - 1] !== 10 ? lines + 1 : lines;
}
