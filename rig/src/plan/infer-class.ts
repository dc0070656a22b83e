import type { TaskClass } from '@rigmind/protocol';

// The seed's definition-error auto-fix, in its order: GPU-script words are checked before LLM words.
const SCRIPT_KEYWORDS = ['whisper', 'transcrib', 'embed', 'cuda', 'gpu'] as const;
const LLM_KEYWORDS = ['ollama', 'generate', 'llm'] as const;

/** A class the auto-fix chose, and the note that records why on the task's `fix_applied`. */
export interface InferredClass {
  readonly taskClass: Exclude<TaskClass, 'resource'>;
  readonly fix: string;
}

/**
 * The seed's rule for a missing task_class: keywords in the command (or prompt), case-insensitive;
 * `whisper`, `transcrib`, `embed`, `cuda`, `gpu` mean script, `ollama`, `generate`, `llm` mean llm,
 * anything else is cpu. A task of type llm is always class llm.
 */
export function inferTaskClass(type: 'shell' | 'llm' | undefined, text: string | undefined): InferredClass {
  if (type === 'llm') return { taskClass: 'llm', fix: 'task_class inferred as llm from type llm' };
  const lower = (text ?? '').toLowerCase();
  const script = SCRIPT_KEYWORDS.find((word) => lower.includes(word));
  if (script) return { taskClass: 'script', fix: `task_class inferred as script from '${script}'` };
  const llm = LLM_KEYWORDS.find((word) => lower.includes(word));
  if (llm) return { taskClass: 'llm', fix: `task_class inferred as llm from '${llm}'` };
  return { taskClass: 'cpu', fix: 'task_class inferred as cpu (no GPU or LLM keyword)' };
}
