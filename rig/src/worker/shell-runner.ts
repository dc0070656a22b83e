import { execa, type Options } from 'execa';
import { ok, type AttemptResult } from '@rigmind/protocol';
import { LazyFile } from './lazy-file.js';
import { ioFailure, outputWritten, shellIo } from './task-io.js';
import { SENTINEL_ENV, type Sentinel } from './sentinel.js';
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
 * the whole group, and so does the end of the task: nothing it started outlives it. Output streams into the
 * attempt's files as it comes (created only if there is any); lines and the stderr tail are counted on the way.
 */
export class ShellRunner implements TaskRunner {
  /**
   * The worker's environment, copied once: execa would copy `process.env` for every task, and each of its keys
   * is read through a native getter: 28 µs a copy in a loop on the development machine, against 2 µs for a plain
   * object, and it was execa's largest cost per task in the worker's profile.
   */
  readonly #inherited: Record<string, string | undefined> = { ...process.env };

  constructor(
    private readonly env: ShellEnvironment,
    private readonly sentinel: Sentinel,
  ) {}

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    const ld = [this.env.ldLibraryPath, this.env.inheritedLdLibraryPath]
      .filter((part) => part !== undefined && part !== '')
      .join(':');
    // Its inputs must be there before it starts: a missing file is the task's own failure, not a failed run.
    const io = task.inputs === undefined && task.output === undefined ? NO_IO : await shellIo(task);
    if (!io.ok) {
      request.onStarted(null);
      return ioFailure(io, request.stderrPath);
    }
    let timedOut = false;
    let canceled = false;
    const options = {
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      ...(task.cwd !== undefined ? { cwd: task.cwd } : {}),
      extendEnv: false,
      env: {
        ...this.#inherited,
        ...task.env,
        CUDA_VISIBLE_DEVICES: (request.gpus ?? this.env.gpus).join(','),
        ...(ld !== '' ? { LD_LIBRARY_PATH: ld } : {}),
        RIGMIND_TASK_ID: task.task_id,
        RIGMIND_PLAN_ID: task.plan_id,
        RIGMIND_ATTEMPT: String(request.attempt),
        ...io.value,
        [SENTINEL_ENV]: this.sentinel.token,
      },
    } satisfies Options;
    const child = execa('bash', ['-c', task.command ?? ''], options);
    const pgid = child.pid;
    request.onStarted(pgid ?? null);
    const stdout = new LazyFile(request.stdoutPath);
    const stderr = new LazyFile(request.stderrPath);
    let lines = 0;
    let lastByte = 10;
    let stderrTail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1] as number;
      stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-800);
      stderr.write(chunk);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
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
    await Promise.race([exited, child]);
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
    if (pgid !== undefined) {
      // Whatever the task left behind in its group goes with it (and so do the pipes it held open).
      signalGroup(pgid, 'SIGKILL');
    }
    const result = await child;
    const [stdoutPath, stderrPath] = await Promise.all([stdout.close(), stderr.close()]);
    const elapsed = (performance.now() - started) / 1000;
    const code = typeof result.exitCode === 'number' ? result.exitCode : null;
    const signal = result.signal ?? null;
    const spawnError = result.failed && code === null && signal === null ? result.shortMessage : undefined;
    const outcome = timedOut
      ? 'timeout'
      : canceled
        ? 'canceled'
        : spawnError !== undefined
          ? 'error'
          : code === 0
            ? 'completed'
            : 'failed';
    const cut = stdout.error ?? stderr.error;
    const cutNote = cut !== undefined ? `\n[rigmind] output not saved in full: ${cut.message}` : '';
    const errText = `${stderrTail.trimEnd()}${cutNote}`.trimStart();
    const ran = {
      outcome,
      return_code: code,
      signal,
      elapsed_seconds: elapsed,
      output_lines: stdout.bytes > 0 && lastByte !== 10 ? lines + 1 : lines,
      error_snippet: tail(
        spawnError ?? (timedOut ? `${errText}\n[rigmind] timed out after ${task.timeout_s}s` : errText),
      ),
      ...(stdoutPath !== undefined ? { stdout_path: stdoutPath } : {}),
      ...(stderrPath !== undefined ? { stderr_path: stderrPath } : {}),
    } satisfies AttemptResult;
    if (outcome !== 'completed') return ran;
    const written = await outputWritten(task);
    return written.ok ? ran : ioFailure(written, request.stderrPath, ran);
  }
}

/** A task that reads and writes no declared files: nothing to check, no await on the busiest path. */
const NO_IO = ok({});

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone: nothing to kill.
  }
}
