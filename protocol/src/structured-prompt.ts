/**
 * The one shape of every prompt rigmind sends a model (seed section 7.1), local or external: trusted instructions
 * in the system part, the task's parameters in a `<task>` part of their own, and every piece of data that came
 * from a file, a program or an earlier answer wrapped as untrusted data under a per-call marker, its look-alike
 * delimiters neutralised. The workers, the brain and the gateway all build theirs here. No I/O.
 */
import { neutralize, untrustedDataRule, wrapUntrusted } from './spotlight.js';

/** A `{{input.NAME}}` placeholder in an llm task's prompt template (spaces inside the braces allowed). */
const PLACEHOLDER = /\{\{\s*input\.([^\s{}]*)\s*\}\}/g;

/** The input names a prompt template refers to, in order of first use, as written (not yet validated). */
export function templateInputs(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))];
}

/** One piece of untrusted data: shown to the model under `label`; `input` is the template name it stands for. */
export interface UntrustedPiece {
  readonly label: string;
  readonly content: string;
  readonly input?: string;
}

/** Trusted text quoted in the system part under a heading, in its own tag (a brief written by the brain). */
export interface QuotedSection {
  readonly heading: string;
  readonly tag: string;
  readonly text: string;
}

/** What a prompt is made of. */
export interface PromptParts {
  /** Trusted instructions: the system part's paragraphs, before the rule on untrusted data. */
  readonly instructions: readonly string[];
  /** Trusted text quoted after the rule, neutralised all the same (it may quote data). */
  readonly quoted?: readonly QuotedSection[];
  /** The task's parameters; a `{{input.NAME}}` naming a piece of `data` becomes a reference to its block. */
  readonly task: string;
  readonly data?: readonly UntrustedPiece[];
  /** A trusted last line of the user part (what to do now). */
  readonly closing?: string;
}

/** A built prompt: the system part (Ollama's `system`, Claude's `system`) and the user part. */
export interface StructuredPrompt {
  readonly system: string;
  readonly user: string;
}

/** The label of an input's data block. */
export const inputLabel = (name: string): string => `input ${name}`;

/** How the task part refers to an input's block: the data itself never stands inside `<task>`. */
const reference = (name: string): string => `[the data block labelled "${inputLabel(name)}" below]`;

/**
 * Build a prompt under `marker` (from {@link markerFrom}, fresh for each call). Whatever the data holds, the only
 * delimiters carrying the marker are the ones written here; the task part and quoted text are neutralised too,
 * so nothing in them can open or close a block either.
 */
export function buildStructuredPrompt(parts: PromptParts, marker: string): StructuredPrompt {
  const quoted = (parts.quoted ?? []).map(
    (section) => `${section.heading}\n<${section.tag}>\n${neutralize(section.text, marker)}\n</${section.tag}>`,
  );
  const system = [...parts.instructions, untrustedDataRule(marker), ...quoted].join('\n\n');
  const data = parts.data ?? [];
  const names = new Set(data.flatMap((piece) => (piece.input === undefined ? [] : [piece.input])));
  const user = [
    `<task>\n${renderTask(parts.task, names, marker)}\n</task>`,
    ...data.map((piece) => wrapUntrusted(piece.label, piece.content, marker)),
    ...(parts.closing === undefined ? [] : [parts.closing]),
  ].join('\n\n');
  return { system, user };
}

// The text between placeholders is neutralised piece by piece and the references, written here, stay as they are.
function renderTask(task: string, names: ReadonlySet<string>, marker: string): string {
  let out = '';
  let at = 0;
  for (const match of task.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!names.has(name)) continue;
    out += neutralize(task.slice(at, match.index), marker) + reference(name);
    at = match.index + match[0].length;
  }
  return out + neutralize(task.slice(at), marker);
}
