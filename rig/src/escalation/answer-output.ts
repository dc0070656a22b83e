import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TaskIo, TaskRow } from '../store/rows.js';

/**
 * Write the external tier's answer to the task's output file, where its dependents read it, as a worker writes a
 * local answer. Undefined when written (or the task declares no output), else why not, for the task to fail on.
 */
export function writeAnswerOutput(row: TaskRow, text: string): string | undefined {
  const output = row.io === null ? undefined : (JSON.parse(row.io) as TaskIo).output;
  if (output === undefined) return undefined;
  // As a worker resolves it: from the task's cwd, else this process's (the rig's processes share one).
  const path = resolve(row.cwd ?? process.cwd(), output);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `output_unwritable: output: cannot write ${path} (${code ?? String(error)})`;
  }
}
