import {
  err,
  JUDGEMENT_FORMAT,
  judgementPrompt,
  ok,
  type JudgementNote,
  type RigConfig,
  type Runtime,
} from '@rigmind/protocol';
import type { BrainCore, JudgeHooks } from '../brain/brain-context.js';
import { finished, type BrainEffect } from '../brain/effects.js';
import { OllamaClient } from '../ollama/ollama-client.js';
import { freshMarker } from '../ollama/task-prompt.js';
import { judgementsOf } from '../store/judge-transitions.js';
import type { TaskRow } from '../store/rows.js';
import { dispose, fixModels, type Reply } from './dispose.js';

/**
 * The brain's model judging failures the rules cannot classify. `begin` asks it without waiting (the brain's loop
 * goes on; the task waits in `retry_wait`, its cause `judging: ...`), bounded by judge.timeout_ms; the reply comes
 * back through `applyLater` and the rules dispose of it (./dispose.ts). No answer, an unusable one or a refused one:
 * the rules' default, logged.
 */
export class Judge implements JudgeHooks {
  readonly #inFlight = new Map<string, AbortController>();
  readonly #work = new Set<Promise<void>>();
  /** Judgements that came back while the state database could not be written: applied once it can. */
  readonly #unapplied = new Map<string, { readonly attempt: number; readonly reply: Reply }>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly ctx: BrainCore,
    private readonly ollama: OllamaClient,
  ) {}

  begin(taskId: string, attempt: number, error: string): readonly BrainEffect[] {
    const row = this.ctx.store.task(taskId);
    if (row === undefined || this.#stopped) return [];
    this.#inFlight.get(taskId)?.abort();
    const abort = new AbortController();
    this.#inFlight.set(taskId, abort);
    const { config, logger } = this.ctx;
    logger.info(
      { task_id: taskId, attempt, model: config.judge.model },
      "a failure no rule classifies: asking the brain's model",
    );
    const work = this.#ask(row, error, abort.signal).then((reply) => {
      if (this.#inFlight.get(taskId) === abort) this.#inFlight.delete(taskId);
      // A stopping brain leaves the task judging: the next start retries it (it is never lost).
      if (this.#stopped) return;
      this.#unapplied.set(taskId, { attempt, reply });
      this.#applyUnapplied();
    });
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
    return [];
  }

  // Apply what came back; while writes fail (a full disk) keep it and try again, so no judged task is stranded.
  #applyUnapplied(): void {
    for (const [taskId, { attempt, reply }] of this.#unapplied) {
      if (!this.ctx.applyLater(() => this.#decide(taskId, attempt, reply))) break;
      this.#unapplied.delete(taskId);
    }
    if (this.#unapplied.size > 0 && this.#timer === undefined && !this.#stopped) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#applyUnapplied();
      }, 250);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const abort of this.#inFlight.values()) abort.abort();
    await Promise.allSettled([...this.#work]);
  }

  async #ask(row: TaskRow, error: string, signal: AbortSignal): Promise<Reply> {
    const { config } = this.ctx;
    const prompt = judgementPrompt(
      {
        name: row.name,
        type: row.type,
        task_class: row.task_class,
        command: row.command,
        prompt: row.prompt,
        model: row.model,
        timeout_s: row.timeout_s,
        estimate_s: row.estimate_s,
        attempts: row.attempts,
        failure: row.cause?.replace(/^judging: /, '') ?? 'failed',
      },
      error,
      fixModels(config),
      freshMarker(),
    );
    try {
      const reply = await this.ollama.generate({
        model: config.judge.model,
        system: prompt.system,
        prompt: prompt.user,
        format: JUDGEMENT_FORMAT,
        stream: false,
        options: { temperature: 0 },
        timeoutMs: config.judge.timeout_ms,
        signal,
      });
      return reply.ok ? ok(reply.value.text) : err('no_answer', `${reply.code}: ${reply.message}`);
    } catch (thrown) {
      // The client returns expected failures as values; anything thrown still must not lose the task.
      return err('no_answer', `judge call failed: ${String(thrown)}`);
    }
  }

  #decide(taskId: string, attempt: number, reply: Reply): readonly BrainEffect[] {
    const { ctx } = this;
    const row = ctx.store.task(taskId);
    if (row === undefined) return [];
    const disposal = dispose(reply, row, ctx.config);
    const note: JudgementNote = { ...disposal.note, attempt, count: judgementsOf(row) + 1 };
    const log = { task_id: taskId, attempt, decision: note.decision, outcome: note.outcome, why: note.why };
    if (note.outcome === 'applied') ctx.logger.info(log, "the brain's model judged a failure");
    else ctx.logger.warn(log, "no usable judgement from the brain's model; the rules decide");
    const effect = ctx.transitions.judged(taskId, attempt, note, disposal.verdict);
    if (effect.kind !== 'waiting') return [finished(taskId, effect)];
    const otherwise: BrainEffect[] = [{ kind: 'judged_default', taskId, attempt }];
    return [{ kind: 'escalate', taskId, reason: disposal.escalate ?? 'repeated_failure', otherwise }];
  }
}

/** The brain's Ollama client for judgements (config.ollama_url), each call bounded by judge.timeout_ms. */
export function judgeClient(config: RigConfig, runtime: Pick<Runtime, 'now' | 'sleep'>): OllamaClient {
  return new OllamaClient({
    baseUrl: config.ollama_url,
    runtime,
    generateTimeoutMs: config.judge.timeout_ms,
  });
}
