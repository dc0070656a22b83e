import { execa } from 'execa';

/** How a short-lived command ended. Not finding the binary and running out of time are values, not exceptions. */
export type RunOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'not_found'; readonly message: string }
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

/** Options for one run. `env` is merged over the parent's, so a test can put a fake binary first on PATH. */
export interface RunOptions {
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs a command to completion and captures its output; injected so the probe can run against any binary. */
export type ProcessRunner = (file: string, args: readonly string[], options: RunOptions) => Promise<RunOutcome>;

/** The real runner, on execa: no shell, output captured, never rejects. */
export const execaRunner: ProcessRunner = async (file, args, options) => {
  const result = await execa(file, [...args], {
    reject: false,
    timeout: options.timeoutMs,
    ...(options.env ? { env: { ...options.env } } : {}),
    stripFinalNewline: false,
  });
  if (result.timedOut) return { kind: 'timeout', message: `${file} did not finish within ${options.timeoutMs} ms` };
  if (result.code === 'ENOENT') return { kind: 'not_found', message: `${file} is not on PATH` };
  if (typeof result.exitCode !== 'number')
    return { kind: 'failed', message: result.message ?? `${file} did not exit normally` };
  return { kind: 'exited', exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
};
