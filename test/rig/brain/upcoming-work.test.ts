import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { CardBook } from '../../../rig/src/brain/card-book.js';
import { UpcomingWork } from '../../../rig/src/brain/upcoming-work.js';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

/** Where these tests' transitions announce: nowhere (test/rig/store/transition-events.test.ts checks what). */
const quiet = { emit: () => undefined };

let dir: string;
let store: Store;
let now: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-upcoming-'));
  now = 1_000_000;
  store = new Store(join(dir, 'state.db'), { ...systemRuntime, now: () => now });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const gpuTask = (
  name: string,
  depends_on: string[],
  estimate_s: number,
  task_class: 'script' | 'llm' = 'llm',
  model?: string,
): NewTask => ({
  name,
  type: task_class === 'llm' ? 'llm' : 'shell',
  prompt: 'p',
  command: 'c',
  task_class,
  executor: 'worker',
  depends_on,
  priority: 5,
  max_retries: 0,
  timeout_s: 100,
  estimate_s,
  requires_external: false,
  sensitive: false,
  ...(model !== undefined ? { model } : {}),
});
const modelOf = (row: { task_class: 'script' | 'llm'; model: string | null }) =>
  row.model ?? (row.task_class === 'llm' ? 'qwen2.5:7b' : null);
const estimateOf = (row: { estimate_s: number | null }) => row.estimate_s ?? 30;

describe('UpcomingWork', () => {
  it('lists blocked GPU tasks whose dependencies all run or are done, due when the slowest running one ends', () => {
    const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [
        gpuTask('transcribe', [], 200, 'script', 'whisper-small.en'),
        gpuTask('frames', [], 20, 'script'),
        gpuTask('segment', ['transcribe'], 40),
        gpuTask('describe', ['transcribe', 'frames'], 60, 'llm', 'qwen2.5-vl:7b'),
        gpuTask('embed', ['segment'], 3, 'script', 'all-mpnet-base-v2'),
      ],
    });
    const upcoming = new UpcomingWork(store, 0);
    // Nothing runs yet: a dependency waiting in the queue rules its dependents out.
    expect(upcoming.list(now, 1_000, estimateOf, modelOf)).toEqual([]);
    transitions.lease('p.transcribe', 'w1');
    expect(upcoming.list(now, 1_000, estimateOf, modelOf).map((task) => [task.id, task.model, task.etaS])).toEqual([
      ['p.segment', 'qwen2.5:7b', 1_200],
    ]);
    transitions.lease('p.frames', 'w2');
    const both = upcoming.list(now, 1_000, estimateOf, modelOf);
    expect(both.map((task) => [task.id, task.etaS]).sort()).toEqual([
      ['p.describe', 1_200],
      ['p.segment', 1_200],
    ]);
    expect(both.find((task) => task.id === 'p.describe')?.model).toBe('qwen2.5-vl:7b');
  });

  it('reads the database at most once per ttl unless invalidated', () => {
    const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
    store.insertPlan({
      plan_id: 'p',
      name: 'p',
      source: 't',
      allow_external_sensitive: false,
      tasks: [gpuTask('a', [], 10), gpuTask('b', ['a'], 10)],
    });
    const upcoming = new UpcomingWork(store, 1_000);
    expect(upcoming.list(now, 0, estimateOf, modelOf)).toEqual([]);
    transitions.lease('p.a', 'w1');
    expect(upcoming.list(now + 10, 0, estimateOf, modelOf)).toEqual([]);
    upcoming.invalidate();
    expect(upcoming.list(now + 20, 0, estimateOf, modelOf).map((task) => task.id)).toEqual(['p.b']);
  });
});

describe('CardBook', () => {
  it('follows the cards a worker reports, and forgets them when it goes', () => {
    const book = new CardBook();
    book.register('brain', [
      { index: 0, vram_mb: 6144 },
      { index: 3, vram_mb: 6144 },
    ]);
    book.register('g1', [{ index: 1, vram_mb: 6144 }]);
    const at = new Date(0).toISOString();
    book.observe('brain', {
      timestamp: at,
      event_type: 'model_loaded',
      gpu_id: 0,
      detail: { model: 'qwen2.5:14b', gpus: [0, 3] },
    });
    book.observe('g1', { timestamp: at, event_type: 'model_loaded', gpu_id: 1, detail: { model: 'qwen2.5:7b' } });
    // Another worker cannot speak for a card it does not own.
    book.observe('g1', { timestamp: at, event_type: 'model_unloaded', gpu_id: 0, detail: { model: 'qwen2.5:14b' } });
    expect(book.get(0)?.models).toEqual(['qwen2.5:14b']);
    expect(book.get(3)?.models).toEqual(['qwen2.5:14b']);
    expect(book.get(1)?.models).toEqual(['qwen2.5:7b']);
    book.observe('g1', { timestamp: at, event_type: 'model_unloaded', gpu_id: 1, detail: { model: 'qwen2.5:7b' } });
    expect(book.get(1)?.models).toEqual([]);
    // The same worker coming back keeps what its card held; another worker on the card starts from nothing.
    book.register('brain', [
      { index: 0, vram_mb: 6144 },
      { index: 3, vram_mb: 6144 },
    ]);
    expect(book.get(0)?.models).toEqual(['qwen2.5:14b']);
    book.drop('brain');
    expect(book.get(0)).toBeUndefined();
    book.register('g9', [{ index: 0, vram_mb: 6144 }]);
    expect(book.get(0)?.models).toEqual([]);
  });
});
