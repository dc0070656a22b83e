import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ESCALATION_LIMITS,
  type EscalationReason,
  type EscalationRequestInput,
  type LocalAttempt,
  type UntrustedData,
} from '@rigmind/protocol';
import { redactText } from '@rigmind/protocol';
import type { AttemptRow, TaskIo, TaskRow } from '../store/rows.js';

/** What the brain tells Claude, as trusted instructions. The data it attaches is never instructions. */
const INSTRUCTIONS = [
  'You advise the brain of an air-gapped GPU rig (local Qwen 7B workers, a Qwen 14B brain).',
  'A task could not be finished locally. Give the brain one of: the answer itself; a short list of subtasks the',
  'rig can run (shell commands or LLM prompts for its local models, with dependencies by name); or a decline',
  'with the reason. You cannot run anything yourself and you do not command the workers: the brain decides.',
].join(' ');

const EXCERPT_BYTES = 4_000;

const INPUT_BYTES = 20_000;

/** The last (or first) bytes of a file, or nothing if it cannot be read. */
function excerpt(path: string | null, bytes = EXCERPT_BYTES, from: 'end' | 'start' = 'end'): string | undefined {
  if (path === null) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, from === 'end' ? size - length : 0);
    return buffer.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const clean = (text: string) => redactText(text).text;

/**
 * Package a task for the gateway: the task, the brain's instructions, the local attempts with their error
 * snippets, and their output as untrusted data. Everything is redacted here already, before it leaves the rig.
 */
export function buildHandoff(
  task: TaskRow,
  attempts: readonly AttemptRow[],
  reason: EscalationReason,
  maxTokens = 1_024,
): EscalationRequestInput {
  const recent = attempts.slice(-ESCALATION_LIMITS.attempts);
  const local: LocalAttempt[] = recent.map((attempt) => {
    const out: LocalAttempt = { attempt: attempt.attempt };
    if (attempt.worker_id !== null) out.worker_id = attempt.worker_id;
    if (attempt.return_code !== null) out.return_code = attempt.return_code;
    if (attempt.error_snippet !== null && attempt.error_snippet !== '')
      out.error_snippet = clean(attempt.error_snippet).slice(-2_000);
    return out;
  });
  const untrusted: UntrustedData[] = [];
  for (const attempt of recent.slice(-3)) {
    const stdout = excerpt(attempt.stdout_path);
    if (stdout !== undefined && stdout.trim() !== '')
      untrusted.push({
        label: `attempt ${attempt.attempt} output (last ${EXCERPT_BYTES} bytes)`,
        content: clean(stdout),
      });
  }
  // What an llm task's prompt inserts ({{input.NAME}}): the external tier sees the same data, as data.
  const io = task.io === null ? {} : (JSON.parse(task.io) as TaskIo);
  for (const [name, input] of Object.entries(io.inputs ?? {})) {
    if (untrusted.length >= ESCALATION_LIMITS.untrustedItems) break;
    const content = excerpt(resolve(task.cwd ?? process.cwd(), input.file), INPUT_BYTES, 'start');
    if (content !== undefined)
      untrusted.push({ label: `input ${name} (first ${INPUT_BYTES} bytes)`, content: clean(content) });
  }
  const request: EscalationRequestInput = {
    task: {
      task_id: task.task_id,
      plan_id: task.plan_id,
      name: task.name,
      type: task.type,
      task_class: task.task_class,
      ...(task.prompt !== null ? { prompt: clean(task.prompt).slice(0, ESCALATION_LIMITS.untrustedChars) } : {}),
      ...(task.command !== null ? { command: clean(task.command).slice(0, 20_000) } : {}),
    },
    reason,
    instructions: INSTRUCTIONS,
    untrusted,
    attempts: local,
    max_tokens: maxTokens,
  };
  return request;
}
