import { buildStructuredPrompt, type EscalationRequest, type UntrustedPiece } from '@rigmind/protocol';
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
  const data: UntrustedPiece[] = [];
  if (task.prompt !== undefined) data.push({ label: 'task prompt', content: task.prompt });
  if (task.command !== undefined) data.push({ label: 'task command', content: task.command });
  for (const attempt of request.attempts) {
    if (attempt.error_snippet !== undefined)
      data.push({ label: `attempt ${attempt.attempt} error`, content: attempt.error_snippet });
    if (attempt.output_excerpt !== undefined)
      data.push({ label: `attempt ${attempt.attempt} output`, content: attempt.output_excerpt });
  }
  for (const item of request.untrusted) data.push({ label: item.label, content: item.content });
  const prompt = buildStructuredPrompt(
    {
      instructions: [
        "You are the external advisor of rigmind, an orchestrator for an air-gapped GPU rig. The rig's local brain " +
          'model escalated a task it could not finish on its own. You advise; the brain decides.',
        FORMAT,
      ],
      quoted: [
        { heading: "The brain's instructions for this escalation:", tag: 'instructions', text: request.instructions },
      ],
      task: JSON.stringify(facts, null, 2),
      data,
      closing: `Reply now by calling ${ADVICE_TOOL_NAME}.`,
    },
    marker,
  );
  return { system: prompt.system, user: prompt.user };
}

/** The tool result sent back when a tool input did not validate: the problem, and the rules again. */
export function repairTurn(problem: string): string {
  const again = `Call ${ADVICE_TOOL_NAME} again with a corrected input.`;
  return `Your ${ADVICE_TOOL_NAME} input could not be used: ${problem}\n\n${FORMAT}\n\n${again}`;
}
