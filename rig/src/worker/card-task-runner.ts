import { ok, type AttemptResult, type Failure } from '@rigmind/protocol';
import type { CardManager, CardResult } from '../gpu/card-manager.js';
import { resourceRefused, resourceResult } from './resource-result.js';
import { endedBeforeStart, tail, type RunRequest, type TaskRunner } from './task-runner.js';

/**
 * Runs GPU tasks through the card's manager, in the seed's switching order: an llm task has its model loaded
 * first (unloading another model and waiting for its VRAM); a script task frees the card of any LLM, waits for
 * the VRAM, runs, and waits for its own VRAM to clear. cpu tasks do not touch the card.
 */
export class CardTaskRunner implements TaskRunner {
  constructor(
    private readonly card: CardManager,
    private readonly shell: TaskRunner,
    private readonly llm: TaskRunner,
    private readonly defaultModel: string,
  ) {}

  async run(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    if (task.task_class === 'resource') return this.#resource(request);
    if (task.type === 'llm') {
      const refused = await this.llm.precheck?.(request);
      if (refused !== undefined) {
        request.onStarted(null);
        return refused;
      }
      const loaded = await this.card.loadLlm(task.model ?? this.defaultModel);
      if (!loaded.ok) return cardFailure(loaded, request);
      return this.card.runLlmTask(task.task_id, () => this.llm.run(request));
    }
    if (task.task_class !== 'script') return this.shell.run(request);
    const started = await this.card.startScript(task.model ?? 'script', task.task_id);
    if (!started.ok) return cardFailure(started, request);
    let loaded: Promise<CardResult> | undefined;
    const result = await this.shell.run({
      ...request,
      onStarted: (pid) => {
        request.onStarted(pid);
        loaded = this.card.scriptLoaded(task.task_id);
      },
    });
    await loaded;
    const ended = await this.card.scriptEnded(task.task_id);
    if (!ended.ok && result.outcome === 'completed') {
      // The work is done; the card is in error and the next task on it will find out. Say so in the record.
      return { ...result, error_snippet: tail(`card: ${ended.code}: ${ended.message}`) };
    }
    return result;
  }

  /** The brain's load_llm / unload_llm: the same card operations a task's switch uses, done ahead of the task. */
  async #resource(request: RunRequest): Promise<AttemptResult> {
    const { task } = request;
    const started = performance.now();
    if (task.command === 'load_llm' && task.model !== undefined) {
      request.onStarted(null);
      const loaded = await this.card.loadLlm(task.model);
      return resourceResult(request, started, loaded.ok ? ok(`loaded ${task.model}`) : loaded);
    }
    if (task.command === 'unload_llm') {
      request.onStarted(null);
      const freed = await this.card.freeCard(`unload_llm ${task.model ?? ''}`.trim());
      return resourceResult(request, started, freed.ok ? ok(`unloaded ${task.model ?? 'the card'}, VRAM free`) : freed);
    }
    return resourceRefused(request, `unknown resource action '${task.command ?? ''}'`);
  }
}

function cardFailure(failure: Failure<CardResult>, request: RunRequest): AttemptResult {
  return endedBeforeStart(request, `gpu ${failure.code}: ${failure.message}`);
}
