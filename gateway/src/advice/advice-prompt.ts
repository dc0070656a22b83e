import type { EscalationRequest } from '@rigmind/protocol';
import { neutralize, untrustedDataRule, wrapUntrusted } from '../sanitize/spotlight.js';

/** The system prompt and first user message of an escalation. */
export interface AdvicePrompt {
  readonly system: string;
  readonly user: string;
}

const FORMAT = `Reply with exactly one JSON object and nothing else: no prose, no code fences. It has one of three forms:
{"type":"answer","text":"<the answer to the task>"}
{"type":"subtasks","rationale":"<why>","tasks":[{"name":"<letters, digits, _ . : ->","type":"llm","prompt":"<prompt>","depends_on":["<earlier task name>"],"task_class":"llm"}]}
{"type":"decline","reason":"<why you cannot help>"}
A subtask has "type" "llm" with a "prompt" or "shell" with a "command"; "task_class" is "cpu", "script" or "llm" ("resource" is not allowed).
Subtasks are proposals: the rig's brain decides whether and where they run. You cannot run or dispatch anything yourself.`;

/**
 * Build the prompt: trusted text (the gateway's rules and the brain's instructions) in the system prompt;
 * everything the brain did not write (the task's prompt and command, attempts' output, untrusted items) in
 * marked blocks in the user turn. The request is already redacted.
 */
export function buildAdvicePrompt(request: EscalationRequest, marker: string): AdvicePrompt {
  const system = [
    'You are the external advisor of rigmind, an orchestrator for an air-gapped GPU rig. The rig\'s local brain model escalated a task it could not finish on its own. You advise; the brain decides.',
    FORMAT,
    untrustedDataRule(marker),
    `The brain's instructions for this escalation:\n<instructions>\n${neutralize(request.instructions, marker)}\n</instructions>`,
  ].join('\n\n');

  const task = request.task;
  const facts = {
    task_id: task.task_id,
    name: task.name,
    type: task.type,
    task_class: task.task_class,
    reason: request.reason,
    attempts: request.attempts.map((a) => ({ attempt: a.attempt, worker_id: a.worker_id, model: a.model, return_code: a.return_code })),
  };
  const blocks: string[] = [];
  if (task.prompt !== undefined) blocks.push(wrapUntrusted('task prompt', task.prompt, marker));
  if (task.command !== undefined) blocks.push(wrapUntrusted('task command', task.command, marker));
  for (const attempt of request.attempts) {
    if (attempt.error_snippet !== undefined) blocks.push(wrapUntrusted(`attempt ${attempt.attempt} error`, attempt.error_snippet, marker));
    if (attempt.output_excerpt !== undefined) blocks.push(wrapUntrusted(`attempt ${attempt.attempt} output`, attempt.output_excerpt, marker));
  }
  for (const item of request.untrusted) blocks.push(wrapUntrusted(item.label, item.content, marker));

  const user = [
    `<task>\n${neutralize(JSON.stringify(facts, null, 2), marker)}\n</task>`,
    ...blocks,
    'Reply now with the JSON object only.',
  ].join('\n\n');
  return { system, user };
}

/** The follow-up turn when a reply did not validate: the problem, and the format again. */
export function repairTurn(problem: string): string {
  return `Your reply could not be used: ${problem}\n\n${FORMAT}\n\nReply again with the corrected JSON object only.`;
}
