// The load generator and process tools of the escalation latency bench (escalation-latency.ts): an open loop over
// lanes, and starting, asking, stopping and measuring its child processes (Linux /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';

/** The p-th percentile of sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** One lane's latencies (ms, sorted once the loop ends) and its failed calls. */
export interface Lane {
  readonly latencies: number[];
  errors: number;
}

/**
 * Open loop: `count` rounds at `rate` per second; each round starts one call of every lane, spaced evenly
 * inside the period (gateway at 0, direct at half a period). A late call never delays the next one.
 */
export async function openLoop(
  count: number,
  rate: number,
  calls: readonly (() => Promise<number>)[],
): Promise<Lane[]> {
  const lanes: Lane[] = calls.map(() => ({ latencies: [], errors: 0 }));
  const period = 1000 / rate;
  const start = performance.now();
  // A count, not an array of every call's promise: kept to the end, those promises and their closures survived
  // every scavenge, which made the load generator's own GC pauses 1.3 - 2.3 ms, long enough to show in the
  // measured latencies (more often in the gateway lane, whose calls are in flight longer).
  let outstanding = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  let sending = true;
  const settled = (): void => {
    outstanding -= 1;
    if (outstanding === 0 && !sending) allDone();
  };
  for (let i = 0; i < count; i += 1) {
    for (let k = 0; k < calls.length; k += 1) {
      const due = start + i * period + (k * period) / calls.length;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const lane = lanes[k] as Lane;
      const call = calls[k] as () => Promise<number>;
      const sent = performance.now();
      outstanding += 1;
      call().then(
        (status) => {
          if (status === 200) lane.latencies.push(performance.now() - sent);
          else lane.errors += 1;
          settled();
        },
        () => {
          lane.errors += 1;
          settled();
        },
      );
    }
  }
  sending = false;
  if (outstanding > 0) await done;
  for (const lane of lanes) lane.latencies.sort((a, b) => a - b);
  return lanes;
}

/** Start a child that prints one JSON line when ready; it exits when its stdin closes. */
export async function startChild<T>(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stderrFd: number | 'inherit',
): Promise<{ child: ChildProcess; ready: T; lines: Interface }> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', stderrFd], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as T);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready`));
    });
  });
  return { child, ready, lines };
}

/** The gateway's event-loop and GC figures for the window since the last SIGUSR2 (see gateway-process.mjs). */
export async function gatewayStats(gateway: {
  child: ChildProcess;
  lines: Interface;
}): Promise<Record<string, number>> {
  const line = new Promise<string>((resolve) => gateway.lines.once('line', resolve));
  gateway.child.stdin?.write('stats\n');
  return JSON.parse(await line) as Record<string, number>;
}

/** Close a child's stdin (its signal to exit) and wait for it; SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/**
 * User plus system CPU time a process has used, in ms (Linux, assuming 100 clock ticks per second); with `thread`,
 * only that thread's (the main thread's id is the pid).
 */
export function cpuMs(pid: number, thread?: number): number {
  const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Time a process's main thread has waited for a core while runnable, in ms (Linux schedstat). */
export function runQueueWaitMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ');
  return Number(fields[1]) / 1e6;
}
