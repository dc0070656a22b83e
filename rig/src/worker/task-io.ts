import { mkdir, stat, readFile, writeFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { err, ok, type AttemptResult, type Result, type Task, type TaskFailureCode } from '@rigmind/protocol';
import { inputEnvName } from '../plan/resolve-io.js';
import { tail } from './task-runner.js';

/** What reading a task's files may fail with: one of the task failure codes, and a message naming the file. */
export type IoResult<T> = Result<T, TaskFailureCode>;

/** A text input read for a prompt. */
export interface TextInput {
  readonly name: string;
  readonly content: string;
}

/** A task's path on this worker: absolute as written, or from the task's cwd, else the worker's own. */
export function taskPath(task: Task, path: string): string {
  return resolve(task.cwd ?? process.cwd(), path);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Why a file cannot be read, as a code and a message that names the file but never quotes it. */
async function statFile(what: string, path: string, dirOk: boolean, maxBytes?: number): Promise<IoResult<number>> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile() && !(dirOk && info.isDirectory()))
      return err('input_unreadable', `${what}: ${path} is not a regular file`);
    size = info.size;
    await access(path, constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return err('input_missing', `${what}: ${path} does not exist`);
    return err('input_unreadable', `${what}: ${path} cannot be read (${code ?? String(error)})`);
  }
  if (maxBytes !== undefined && size > maxBytes)
    return err('input_too_large', `${what}: ${path} is ${size} bytes, over the limit of ${maxBytes}`);
  return ok(size);
}

async function readLimited(what: string, path: string, maxBytes: number): Promise<IoResult<Buffer>> {
  const checked = await statFile(what, path, false, maxBytes);
  if (!checked.ok) return checked;
  try {
    const bytes = await readFile(path);
    // It may have grown since it was measured.
    if (bytes.length > maxBytes)
      return err('input_too_large', `${what}: ${path} is ${bytes.length} bytes, over the limit of ${maxBytes}`);
    return ok(bytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return err('input_missing', `${what}: ${path} does not exist`);
    return err('input_unreadable', `${what}: ${path} cannot be read (${code ?? String(error)})`);
  }
}

/**
 * A shell task's inputs as environment variables (RIGMIND_INPUT_NAME=path, RIGMIND_OUTPUT=path), each input
 * checked to exist and be readable (a directory is fine: a command may read a folder), and the output's folder
 * made. The command reads the files itself, so no size limit applies.
 */
export async function shellIo(task: Task): Promise<IoResult<Record<string, string>>> {
  const env: Record<string, string> = {};
  for (const [name, input] of Object.entries(task.inputs ?? {})) {
    const path = taskPath(task, input.file);
    const checked = await statFile(`input '${name}'`, path, true);
    if (!checked.ok) return checked;
    env[inputEnvName(name)] = path;
  }
  if (task.output !== undefined) {
    const made = await outputFolder(task);
    if (!made.ok) return made;
    env['RIGMIND_OUTPUT'] = made.value;
  }
  return ok(env);
}

/** An llm task's inputs as text for its prompt: each a readable UTF-8 file of at most `maxBytes`. */
export async function readTextInputs(task: Task, maxBytes: number): Promise<IoResult<TextInput[]>> {
  const out: TextInput[] = [];
  for (const [name, input] of Object.entries(task.inputs ?? {})) {
    const what = `input '${name}'`;
    const path = taskPath(task, input.file);
    const bytes = await readLimited(what, path, maxBytes);
    if (!bytes.ok) return bytes;
    try {
      out.push({ name, content: UTF8.decode(bytes.value) });
    } catch {
      return err('input_unreadable', `${what}: ${path} is not UTF-8 text`);
    }
  }
  return ok(out);
}

/** An llm task's images, base64-encoded as Ollama takes them, each at most `maxBytes`. */
export async function readImages(task: Task, maxBytes: number): Promise<IoResult<string[]>> {
  const out: string[] = [];
  for (const [index, image] of (task.images ?? []).entries()) {
    const bytes = await readLimited(`image ${index + 1}`, taskPath(task, image), maxBytes);
    if (!bytes.ok) return bytes;
    out.push(bytes.value.toString('base64'));
  }
  return ok(out);
}

/** Make the output file's folder; its absolute path. */
async function outputFolder(task: Task): Promise<IoResult<string>> {
  const path = taskPath(task, task.output ?? '');
  try {
    await mkdir(dirname(path), { recursive: true });
    return ok(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return err('output_unwritable', `output: cannot make the folder of ${path} (${code ?? String(error)})`);
  }
}

/** Write an llm task's answer to its output file, if it declares one. */
export async function writeOutput(task: Task, text: string): Promise<IoResult<void>> {
  if (task.output === undefined) return ok(undefined);
  const made = await outputFolder(task);
  if (!made.ok) return made;
  try {
    await writeFile(made.value, text);
    return ok(undefined);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return err('output_unwritable', `output: cannot write ${made.value} (${code ?? String(error)})`);
  }
}

/** After a shell task succeeded: the output it declares must be there. */
export async function outputWritten(task: Task): Promise<IoResult<void>> {
  if (task.output === undefined) return ok(undefined);
  const path = taskPath(task, task.output);
  try {
    await stat(path);
    return ok(undefined);
  } catch {
    return err('output_missing', `output: the command succeeded but did not write ${path} ($RIGMIND_OUTPUT)`);
  }
}

/** An attempt failed by its files: final (the brain does not retry it), its message written to stderr too. */
export async function ioFailure(
  failure: { code: TaskFailureCode; message: string },
  stderrPath: string,
  base: Partial<AttemptResult> = {},
): Promise<AttemptResult> {
  const snippet = `${failure.code}: ${failure.message}`;
  await writeFile(stderrPath, `${snippet}\n`, { flag: 'a' }).catch(() => undefined);
  return {
    return_code: null,
    signal: null,
    elapsed_seconds: 0,
    output_lines: 0,
    ...base,
    outcome: 'failed',
    error_snippet: tail(failure.message),
    stderr_path: stderrPath,
    failure_code: failure.code,
  };
}
