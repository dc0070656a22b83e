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
  readonly intervalMs?: number;
  readonly onError?: (message: string) => void;
}

/** A running checkpointer. */
export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside whichever commit crosses
 * 1,000 WAL pages, on the event loop, and includes fsyncs: on the development machine it stalls that commit
 * (and every request behind it) for about 10 ms, several times a second at 200 requests per second. Here a
 * worker thread with its own connection runs a PASSIVE checkpoint (it never blocks the writer) every
 * `intervalMs`, and the request connection only checkpoints itself past a large backstop, so the WAL stays
 * bounded even if the worker stalls. Commits, and so the durability of every write, are unchanged.
 * If the worker fails, SQLite's default automatic checkpoint is restored.
 */
export function startCheckpointer(db: Db, options: CheckpointerOptions = {}): Checkpointer {
  const restoreDefault = (): void => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: db.name, intervalMs: options.intervalMs ?? 100 },
      // The worker needs a small heap: it holds a connection and a timer.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
  } catch (error) {
    options.onError?.(`checkpoint worker failed to start: ${(error as Error).message}`);
    return { stop: async () => undefined };
  }
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  let stopping = false;
  worker.on('message', (message: { error?: string }) => {
    if (message.error !== undefined) options.onError?.(`checkpoint failed: ${message.error}`);
  });
  worker.on('error', (error) => {
    restoreDefault();
    options.onError?.(`checkpoint worker failed: ${error.message}`);
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopping) restoreDefault();
      resolve();
    });
  });
  worker.unref();
  return {
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
}
