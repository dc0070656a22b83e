import { systemRuntime } from '@rigmind/protocol';
import { runCli } from './program.js';

// The one place the gateway CLI touches process globals: argv, stdio, signals and the exit code.
const io = {
  out: (text: string) => process.stdout.write(text),
  err: (text: string) => process.stderr.write(text),
  runtime: systemRuntime,
};
const result = await runCli(process.argv.slice(2), io);
const running = result.running;
if (running === undefined) {
  process.exitCode = result.code;
} else {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    io.err(`${signal}: stopping\n`);
    running.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        io.err(`stop failed: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
