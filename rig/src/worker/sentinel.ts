import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A tiny bash process that outlives the worker by exactly one read. Every task the worker starts carries the
 * sentinel's token in its environment (inherited by whatever it starts in turn). The sentinel holds the read end
 * of a pipe whose write end only the worker holds; when the worker dies, even by SIGKILL, the pipe closes and the
 * sentinel kills every process whose environment carries the token. Without it a killed worker would leave a GPU
 * job holding VRAM and writing the same outputs as the re-queued copy. It costs nothing per task (no message per
 * task start), and it ignores terminal signals so that Ctrl-C cannot end it before its job.
 */
const SCRIPT = `
trap '' INT TERM HUP
token="$1"
cat >/dev/null
# Two passes: a process forked while the first pass ran is caught by the second.
for pass in 1 2; do
  for environ in /proc/[0-9]*/environ; do
    if grep -qzx "RIGMIND_SENTINEL=$token" "$environ" 2>/dev/null; then
      pid=\${environ#/proc/}
      kill -KILL "\${pid%/environ}" 2>/dev/null
    fi
  done
done
`;

/** The environment variable that marks a worker's tasks for its sentinel. */
export const SENTINEL_ENV = 'RIGMIND_SENTINEL';

/** The reaper sentinel of one worker. */
export class Sentinel {
  readonly #child: ChildProcess;
  /** Put `{ [SENTINEL_ENV]: token }` in every task's environment. */
  readonly token: string;

  private constructor(child: ChildProcess, token: string) {
    this.#child = child;
    this.token = token;
  }

  /** Start the sentinel in its own process group. */
  static start(): Sentinel {
    const token = `${process.pid}-${randomBytes(8).toString('hex')}`;
    const child = spawn('bash', ['-c', SCRIPT, 'rigmind-sentinel', token], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.unref();
    child.stdin?.on('error', () => {
      // The sentinel only goes away with its pipe; a write error means we are shutting down anyway.
    });
    return new Sentinel(child, token);
  }

  /** Close the pipe: the sentinel kills whatever still carries the token, then exits. */
  close(): void {
    this.#child.stdin?.end();
  }
}
