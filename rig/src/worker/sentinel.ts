import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A tiny bash process that outlives the worker by exactly one read: the worker tells it which process groups its
 * tasks run in (`+PGID`, `-PGID`) over a pipe; when the pipe closes because the worker died, even by SIGKILL, it
 * kills every group still listed. Without it a killed worker would leave a GPU job holding VRAM and writing the
 * same outputs as the re-queued copy. It ignores terminal signals so that Ctrl-C cannot end it before its job.
 */
const SCRIPT = `
trap '' INT TERM HUP
declare -A groups
while IFS= read -r line; do
  case "$line" in
    +*) groups[\${line:1}]=1 ;;
    -*) unset "groups[\${line:1}]" ;;
  esac
done
for g in "\${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
`;

/** The reaper sentinel of one worker. */
export class Sentinel {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Start the sentinel in its own process group. */
  static start(): Sentinel {
    const child = spawn('bash', ['-c', SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.unref();
    child.stdin?.on('error', () => {
      // The sentinel only goes away with its pipe; a write error means we are shutting down anyway.
    });
    return new Sentinel(child);
  }

  /** Watch a process group. */
  watch(pgid: number): void {
    this.#child.stdin?.write(`+${pgid}\n`);
  }

  /** Stop watching a process group (it ended normally). */
  forget(pgid: number): void {
    this.#child.stdin?.write(`-${pgid}\n`);
  }

  /** Close the pipe: the sentinel kills whatever is still listed, then exits. */
  close(): void {
    this.#child.stdin?.end();
  }
}
