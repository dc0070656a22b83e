/** Resolves on the first SIGINT or SIGTERM: the foreground commands' way to stop cleanly. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** What a brain started by `rigmind up` sends over the IPC channel once its sockets are bound. */
export const BRAIN_READY = 'rigmind-brain-ready';
