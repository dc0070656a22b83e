import type { Runtime } from '@rigmind/protocol';
import { ollamaFailure, type OllamaResult } from './ollama-result.js';
import type { PsResponse } from './ollama-schemas.js';

/** How to wait for an unload: the deadline, the poll period, and an optional VRAM check (the probe's view). */
export interface UnloadOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** True once the card's VRAM is back; Ollama dropping the model from /api/ps is not proof the driver freed it. */
  readonly vramFreed?: () => Promise<boolean>;
}

/** How the unload went: how long it took and how many polls. */
export interface UnloadReport {
  readonly model: string;
  readonly waitedMs: number;
  readonly polls: number;
}

/** What unloading needs from the client. */
export interface UnloadDeps {
  readonly requestUnload: () => Promise<OllamaResult<unknown>>;
  readonly ps: () => Promise<OllamaResult<PsResponse>>;
  readonly runtime: Pick<Runtime, 'now' | 'sleep'>;
}

/** Ollama's model names default the tag to `latest`, and /api/ps reports the tagged name. */
export function sameModel(a: string, b: string): boolean {
  const tagged = (name: string): string => (name.includes(':') ? name : `${name}:latest`);
  return tagged(a) === tagged(b);
}

/**
 * The seed's switch, step 1 and 2: POST keep_alive 0, then poll until /api/ps no longer lists the model
 * and the VRAM check says freed. A failure of the unload request or of /api/ps ends the wait with that
 * failure; running out of time is unload_timeout naming what was still pending.
 */
export async function unloadModel(
  deps: UnloadDeps,
  model: string,
  options: UnloadOptions,
): Promise<OllamaResult<UnloadReport>> {
  const started = deps.runtime.now();
  const deadline = started + options.timeoutMs;
  const requested = await deps.requestUnload();
  if (!requested.ok) return requested;
  let polls = 0;
  for (;;) {
    polls += 1;
    const listing = await deps.ps();
    if (!listing.ok) return listing;
    let pending: 'ps' | 'vram' | null = null;
    if (listing.value.models.some((running) => sameModel(running.name, model) || sameModel(running.model, model)))
      pending = 'ps';
    else if (options.vramFreed && !(await options.vramFreed())) pending = 'vram';
    const now = deps.runtime.now();
    if (pending === null) return { ok: true, value: { model, waitedMs: now - started, polls } };
    if (now >= deadline) {
      const what = pending === 'ps' ? 'still listed by /api/ps' : 'gone from /api/ps but the VRAM check says not freed';
      return ollamaFailure(
        'unload_timeout',
        `${model} ${what} after ${now - started} ms (limit ${options.timeoutMs} ms)`,
        { pending },
      );
    }
    // The last wait is cut to the deadline so a model gone just in time still counts.
    await deps.runtime.sleep(Math.min(options.pollMs, deadline - now));
  }
}
