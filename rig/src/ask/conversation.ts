import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What one entry of a planning conversation records. */
export const ConversationKindSchema = z.enum([
  /** The person's goal, as typed. */
  'goal',
  /** The first request to the planning model: its system and user parts as sent. */
  'prompt',
  /** A reply of the planning model, verbatim. */
  'reply',
  /** The validator refused the reply: its issues. */
  'invalid',
  /** The repair turn sent back to the model. */
  'repair',
  /** The model could not be asked (Ollama unreachable, model missing, timeout). */
  'model_error',
  /** The model said the goal is beyond the local models. */
  'beyond_local',
  /** The planning went to the gateway: the reason, then Claude's advice or the gateway's failure. */
  'escalation',
  /** The plan shown to the person, local or proposed by Claude, and its file. */
  'plan',
  /** What the person (or `--yes`) decided, and the brain's plan id once submitted. */
  'decision',
]);
/** A conversation entry's kind. */
export type ConversationKind = z.infer<typeof ConversationKindSchema>;

/** One step of a planning conversation. */
export const ConversationEntrySchema = z.strictObject({
  at: z.string(),
  kind: ConversationKindSchema,
  text: z.string().optional(),
  model: z.string().optional(),
  issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  code: z.string().optional(),
  plan_id: z.string().optional(),
  file: z.string().optional(),
});
/** A conversation entry. */
export type ConversationEntry = z.infer<typeof ConversationEntrySchema>;

/** The file `asks/ASK_ID/conversation.json` under the rig home. */
export const ConversationFileSchema = z.strictObject({
  ask_id: z.string(),
  goal: z.string(),
  planner_model: z.string(),
  entries: z.array(ConversationEntrySchema),
});
/** A saved planning conversation. */
export type ConversationFile = z.infer<typeof ConversationFileSchema>;

/** A conversation being recorded, its clock injected. */
export class Conversation {
  readonly entries: ConversationEntry[] = [];
  readonly #now: () => number;
  readonly #onEntry: ((entry: ConversationEntry) => void) | undefined;

  /** `onEntry` hears each step as it is recorded (the CLI's progress lines). */
  constructor(now: () => number, onEntry?: (entry: ConversationEntry) => void) {
    this.#now = now;
    this.#onEntry = onEntry;
  }

  /** Record one step. */
  add(kind: ConversationKind, fields: Omit<ConversationEntry, 'at' | 'kind'> = {}): void {
    const entry = { at: new Date(this.#now()).toISOString(), kind, ...fields };
    this.entries.push(entry);
    this.#onEntry?.(entry);
  }
}

/** Where one ask's files live: `HOME/asks/ASK_ID/` with plan.json and conversation.json. */
export function askDir(homeDir: string, askId: string): string {
  return join(homeDir, 'asks', askId);
}

/** Write the plan to show (and to submit later) as `plan.json` in the ask's folder; its path. */
export async function savePlan(dir: string, plan: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'plan.json');
  await writeFile(path, `${JSON.stringify(plan, null, 2)}\n`);
  return path;
}

/** Write the conversation next to the plan (both may be written again as the ask goes on). */
export async function saveConversation(dir: string, file: ConversationFile): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'conversation.json');
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}
