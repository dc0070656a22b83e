import { CONFIDENCE_INSTRUCTION, markerFrom, type Task } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { BRAIN_SYSTEM_PROMPT } from '../../../rig/src/escalation/low-confidence.js';
import { chatMessages, freshMarker, taskPrompt, WORKER_INSTRUCTIONS } from '../../../rig/src/ollama/task-prompt.js';
import { leasedTask } from '../../helpers/task.js';

const MARKER = markerFrom(Buffer.alloc(16, 7));
const task = (more: Partial<Task>): Task => leasedTask({ prompt: 'Summarize {{input.doc}}', ...more });

describe("an llm task's prompt", () => {
  it("gives a worker task the worker's instructions and a brain task the brain's, confidence format added", () => {
    const worker = taskPrompt(task({}), [{ name: 'doc', content: 'text' }], MARKER);
    expect(worker.system.startsWith(`${WORKER_INSTRUCTIONS}\n\n`)).toBe(true);
    expect(worker.user).toContain('<task>\nSummarize [the data block labelled "input doc" below]\n</task>');
    const brain = taskPrompt(task({ executor: 'brain', confidence: true }), [], MARKER);
    expect(brain.system.startsWith(`${BRAIN_SYSTEM_PROMPT}\n\n${CONFIDENCE_INSTRUCTION}\n\n`)).toBe(true);
  });

  it('draws a fresh 128-bit marker for each call, and maps to chat messages with the images', () => {
    const markers = new Set(Array.from({ length: 50 }, () => freshMarker()));
    expect(markers.size).toBe(50);
    for (const marker of markers) expect(marker).toMatch(/^[0-9a-f]{32}$/);
    const prompt = taskPrompt(task({}), [], MARKER);
    expect(chatMessages(prompt, ['aGk='])).toEqual([
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user, images: ['aGk='] },
    ]);
  });
});
