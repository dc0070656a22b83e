/**
 * The demo's small `ask`: the planning loop on the demo goal, shown and not submitted. With an Ollama it asks the
 * configured planning model; without one it asks the Ollama stand-in of the tests (a real HTTP server with a
 * scripted draft and its repair), and says so: that planning is SIMULATED.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { systemRuntime, type RigConfig } from '@rigmind/protocol';
import { execa } from 'execa';
import { loadCatalog } from '../ask/catalog-file.js';
import { askDir, Conversation, saveConversation, savePlan } from '../ask/conversation.js';
import { profilePath, renderPlan, simulatePlan } from '../ask/plan-preview.js';
import { ollamaPlannerChat } from '../ask/planner.js';
import { runAsk } from '../ask/run-ask.js';
import { OllamaClient } from '../ollama/ollama-client.js';
import { freshMarker } from '../ollama/task-prompt.js';

/** The demo's goal. */
export const DEMO_GOAL = 'Transcribe videos/talk.mp4 and summarize what is said';
const REPO = new URL('../../../', import.meta.url);
const CATALOG = fileURLToPath(new URL('examples/catalogs/seed-rig.yaml', REPO));
const STAND_IN_STATE = fileURLToPath(new URL('examples/catalogs/demo-ask-stand-in.json', REPO));
const STAND_IN = fileURLToPath(new URL('test/fixtures/ollama-stub/main.ts', REPO));

/** Run the demo's ask; its report as lines for stdout (a failure is reported, never thrown: the demo goes on). */
export async function demoAsk(homeDir: string, config: RigConfig, ollamaFound: boolean): Promise<string> {
  const catalog = await loadCatalog(CATALOG);
  if (!catalog.ok) return `ask: skipped (${catalog.message})`;
  const standIn = ollamaFound ? undefined : await startStandIn();
  if (!ollamaFound && standIn === undefined)
    return `ask: skipped (no Ollama at ${config.ollama_url}, and no Ollama stand-in in this install)`;
  const model = standIn === undefined ? config.planner.model : 'qwen2.5:14b';
  const url = standIn?.url ?? config.planner.ollama_url ?? config.ollama_url;
  const label =
    standIn === undefined
      ? `planning model ${model} at ${url}`
      : `SIMULATED planning model: no Ollama at ${config.ollama_url}, so the Ollama stand-in ` +
        `(test/fixtures/ollama-stub) plays ${model} with a scripted draft and its repair`;
  try {
    const askId = systemRuntime.id();
    const dir = askDir(homeDir, askId);
    const conversation = new Conversation(systemRuntime.now);
    const client = new OllamaClient({ baseUrl: url, generateTimeoutMs: config.planner.timeout_ms });
    const asked = await runAsk({
      askId,
      goal: DEMO_GOAL,
      catalog: catalog.value,
      model,
      defaultModel: config.default_llm_model,
      maxRepairs: config.planner.max_repairs,
      marker: freshMarker(),
      chat: ollamaPlannerChat(client, model, config.planner.timeout_ms),
      gateway: undefined,
      conversation,
    });
    const refusals = conversation.entries
      .filter((entry) => entry.kind === 'invalid')
      .map((entry) => `  draft refused: ${(entry.issues ?? []).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    const head = [`ask "${DEMO_GOAL}" (${label})`, ...refusals];
    const save = () =>
      saveConversation(dir, { ask_id: askId, goal: DEMO_GOAL, planner_model: model, entries: conversation.entries });
    if (!asked.ok)
      return [...head, `ask: no plan (${asked.code}: ${asked.message})`, `conversation: ${await save()}`].join('\n');
    const planFile = await savePlan(dir, asked.value.plan);
    const simulation = await simulatePlan(planFile, profilePath(homeDir, config), config.scheduler.policy);
    const repairs = asked.value.origin === 'local' ? asked.value.repairs : 0;
    conversation.add('plan', { file: planFile, text: `drafted by ${model} after ${repairs} repair(s)` });
    conversation.add('decision', { text: 'demo: dry run, nothing submitted' });
    return [
      ...head,
      `drafted after ${repairs} repair(s):`,
      renderPlan(asked.value.plan, asked.value.resolved, simulation),
      `ask: dry run, nothing submitted; plan ${planFile}, conversation ${await save()}`,
    ].join('\n');
  } finally {
    await standIn?.close();
  }
}

/** The stand-in as a process of its own (TypeScript, through tsx), or undefined when this install has neither. */
async function startStandIn(): Promise<{ url: string; close: () => Promise<void> } | undefined> {
  let loader: string;
  try {
    loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return undefined;
  }
  if (!existsSync(STAND_IN)) return undefined;
  const proc = execa(process.execPath, ['--import', loader, STAND_IN, '--port', '0', '--state', STAND_IN_STATE], {
    stdin: 'ignore',
    stderr: 'ignore',
    reject: false,
    cleanup: true,
    buffer: false,
  });
  const url = await new Promise<string | undefined>((resolve) => {
    let text = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n')[0];
      if (text.includes('\n')) resolve((JSON.parse(line ?? '{}') as { url?: string }).url);
    });
    void proc.then(() => resolve(undefined));
  });
  const close = async () => {
    proc.kill('SIGTERM');
    await proc;
  };
  if (url === undefined) {
    await close();
    return undefined;
  }
  return { url, close };
}
