import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './open-db.js';

/** The WAL size (pages) at which the request connection checkpoints itself if the worker is not keeping up. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

// CommonJS, evaluated in the worker: it needs no loader, so it runs the same from source, dist and tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** Options of {@link startCheckpointer}. */
export interface CheckpointerOptions {
  /** How often the worker checkpoints while it runs. */
  readonly intervalMs?: number;
  /** How often the request connection is asked how many rows it has written. */
  readonly watchMs?: number;
  /** Rows written within one `watchMs` that start the worker (an escalation writes about 11). */
  readonly busyChanges?: number;
  /** A spell without a busy `watchMs` after which the worker checkpoints once more and exits. */
  readonly idleMs?: number;
  readonly onError?: (message: string) => void;
  /** Told when the worker starts (true) and when it retires (false). */
  readonly onWorker?: (running: boolean) => void;
}

/** A running checkpointer. */
export interface Checkpointer {
  /** Whether the worker thread is up now. */
  readonly running: boolean;
  stop(): Promise<void>;
}

interface CheckpointWorker {
  stop(): Promise<void>;
}

/**
 * Keeps WAL checkpoints, and so the fsyncs that make commits safe from a power cut (`synchronous = NORMAL`), off
 * the request path when the gateway is busy, and out of its memory when it is not.
 *
 * SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages, on the event loop: on the
 * development machine it stalls that commit (and every request behind it) for about 10 ms, several times a second
 * at 200 requests per second, and at a few escalations an hour it leaves commits unsynced for hours. So every
 * `watchMs` the request connection is asked how many rows it has written since the last look:
 * - `busyChanges` or more: a worker thread with its own connection runs a PASSIVE checkpoint (it never blocks the
 *   writer) every `intervalMs`, while the request connection only checkpoints itself past a large backstop, so
 *   the WAL stays bounded even if the worker stalls. After `idleMs` without a busy look the worker checkpoints
 *   once more and exits: it is a second JavaScript environment, about 12 MB resident, that an idle Pi should not
 *   carry.
 * - fewer, with no worker running: one PASSIVE checkpoint right there, a few new pages and two fsyncs (about
 *   1.3 ms here), which at that rate stalls nothing.
 * Either way a commit is checkpointed within about `watchMs` + `intervalMs`. If a worker fails, SQLite's default
 * automatic checkpoint is restored, checkpoints stay on the request connection, and no worker is started again.
 */
export function startCheckpointer(db: Db, options: CheckpointerOptions = {}): Checkpointer {
  const watchMs = options.watchMs ?? 250;
  const busyChanges = options.busyChanges ?? 20;
  const quietSamples = Math.max(1, Math.ceil((options.idleMs ?? 30_000) / watchMs));
  const totalChanges = db.prepare('SELECT total_changes()').pluck();
  let seen = totalChanges.get() as number;
  let quiet = 0;
  let worker: CheckpointWorker | undefined;
  let retiring: Promise<void> = Promise.resolve();
  let failed = false;
  let stopped = false;

  const report = (message: string): void => options.onError?.(message);
  const died = (which: CheckpointWorker | undefined, message: string): void => {
    failed = true;
    if (which !== undefined && which === worker) {
      worker = undefined;
      options.onWorker?.(false);
    }
    report(message);
  };
  const checkpointHere = (): void => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      report(`checkpoint failed: ${(error as Error).message}`);
    }
  };
  const retire = (): void => {
    if (worker === undefined) return;
    const leaving = worker;
    worker = undefined;
    retiring = Promise.all([retiring, leaving.stop()]).then(() => undefined);
    options.onWorker?.(false);
  };
  const watch = setInterval(() => {
    if (!db.open) return;
    const total = totalChanges.get() as number;
    const changed = total - seen;
    seen = total;
    if (changed >= busyChanges) {
      quiet = 0;
      if (worker === undefined && !failed) {
        worker = startWorker(db, options.intervalMs ?? 100, report, died);
        if (worker !== undefined) options.onWorker?.(true);
      }
    } else if (worker !== undefined && (quiet += 1) >= quietSamples) {
      retire();
    }
    if (changed > 0 && worker === undefined) checkpointHere();
  }, watchMs);
  watch.unref();

  return {
    get running() {
      return worker !== undefined;
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        clearInterval(watch);
        retire();
      }
      await retiring;
    },
  };
}

// One worker's life: the backstop while it runs, SQLite's default again when it stops or dies.
function startWorker(
  db: Db,
  intervalMs: number,
  report: (message: string) => void,
  died: (which: CheckpointWorker | undefined, message: string) => void,
): CheckpointWorker | undefined {
  const restoreDefault = (): void => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: db.name, intervalMs },
      // The worker needs a small heap: it holds a connection and a timer.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
  } catch (error) {
    died(undefined, `checkpoint worker failed to start: ${(error as Error).message}`);
    return undefined;
  }
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopping) {
        restoreDefault();
        died(handle, 'checkpoint worker exited');
      }
      resolve();
    });
  });
  const handle: CheckpointWorker = {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      restoreDefault();
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
      return undefined;
    },
  };
  worker.on('message', (message: { error?: string }) => {
    if (message.error !== undefined) report(`checkpoint failed: ${message.error}`);
  });
  // An uncaught error ends the thread: 'exit' follows and restores SQLite's default; this says why.
  worker.on('error', (error) => report(`checkpoint worker failed: ${error.message}`));
  worker.unref();
  return handle;
}
