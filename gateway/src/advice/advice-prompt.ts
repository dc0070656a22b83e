import { neutralize, untrustedDataRule, wrapUntrusted, type EscalationRequest } from '@rigmind/protocol';
import { ADVICE_TOOL_NAME } from './advice-tool.js';

/** The system prompt and first user message of an escalation. */
export interface AdvicePrompt {
  readonly system: string;
  readonly user: string;
}

const FORMAT = [
  `Give your advice by calling the ${ADVICE_TOOL_NAME} tool, once. Its input has one of three forms: an answer to`,
  'the task; subtasks with a rationale; or a decline with the reason you cannot help.',
  'A subtask has "type" "llm" with a "prompt" or "shell" with a "command"; "task_class" is "cpu", "script" or "llm"',
  '("resource" is not allowed). Subtasks are proposals: the rig\'s brain decides whether and where they run.',
  'You cannot run or dispatch anything yourself.',
].join('\n');

/**
 * Build the prompt: trusted text (the gateway's rules and the brain's instructions) in the system prompt;
 * everything the brain did not write (the task's prompt and command, attempts' output, untrusted items) in
 * marked blocks in the user turn. The request is already redacted.
 */
export function buildAdvicePrompt(request: EscalationRequest, marker: string): AdvicePrompt {
  const system = [
    "You are the external advisor of rigmind, an orchestrator for an air-gapped GPU rig. The rig's local brain " +
      'model escalated a task it could not finish on its own. You advise; the brain decides.',
    FORMAT,
    untrustedDataRule(marker),
    `The brain's instructions for this ` +
      `escalation:\n<instructions>\n${neutralize(request.instructions, marker)}\n</instructions>`,
  ].join('\n\n');

  const task = request.task;
  const facts = {
    task_id: task.task_id,
    name: task.name,
    type: task.type,
    task_class: task.task_class,
    reason: request.reason,
    attempts: request.attempts.map((a) => ({
      attempt: a.attempt,
      worker_id: a.worker_id,
      model: a.model,
      return_code: a.return_code,
    })),
  };
  const blocks: string[] = [];
  if (task.prompt !== undefined) blocks.push(wrapUntrusted('task prompt', task.prompt, marker));
  if (task.command !== undefined) blocks.push(wrapUntrusted('task command', task.command, marker));
  for (const attempt of request.attempts) {
    if (attempt.error_snippet !== undefined)
      blocks.push(wrapUntrusted(`attempt ${attempt.attempt} error`, attempt.error_snippet, marker));
    if (attempt.output_excerpt !== undefined)
      blocks.push(wrapUntrusted(`attempt ${attempt.attempt} output`, attempt.output_excerpt, marker));
  }
  for (const item of request.untrusted) blocks.push(wrapUntrusted(item.label, item.content, marker));

  const user = [
    `<task>\n${neutralize(JSON.stringify(facts, null, 2), marker)}\n</task>`,
    ...blocks,
    `Reply now by calling ${ADVICE_TOOL_NAME}.`,
  ].join('\n\n');
  return { system, user };
}

/** The tool result sent back when a tool input did not validate: the problem, and the rules again. */
export function repairTurn(problem: string): string {
  const again = `Call ${ADVICE_TOOL_NAME} again with a corrected input.`;
  return `Your ${ADVICE_TOOL_NAME} input could not be used: ${problem}\n\n${FORMAT}\n\n${again}`;
}
