import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemRuntime } from '@rigmind/protocol';
import { brainWorkEta, type BrainEtaInput } from '../../../rig/src/brain/brain-work-eta.js';
import type { NewTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

/** Where these tests' transitions announce: nowhere (test/rig/store/transition-events.test.ts checks what). */
const quiet = { emit: () => undefined };

let dir: string;
let store: Store;
const NOW_MS = 1_000_000;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rigmind-brain-eta-'));
  store = new Store(join(dir, 'state.db'), { ...systemRuntime, now: () => NOW_MS });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const task = (
  name: string,
  depends_on: string[],
  estimate_s: number,
  executor: 'brain' | 'worker' = 'worker',
): NewTask => ({
  name,
  type: executor === 'brain' ? 'llm' : 'shell',
  prompt: 'p',
  command: 'c',
  task_class: executor === 'brain' ? 'llm' : 'script',
  executor,
  depends_on,
  priority: 5,
  max_retries: 0,
  timeout_s: 100,
  estimate_s,
  requires_external: false,
  sensitive: false,
});
const input = (cards: number): BrainEtaInput => ({
  seconds: (ms) => ms / 1000,
  estimateOf: (_taskClass, estimateS) => estimateS ?? 30,
  modelOf: (row) => (row.executor === 'brain' ? 'qwen2.5:14b' : 'whisper-small.en'),
  cards,
});

describe('brainWorkEta', () => {
  it(
    "expects the brain's task after its longest path and after the worker GPU work ahead of it over the worker " +
      'cards',
    () => {
      const transitions = new Transitions(store, { base_ms: 0, cap_ms: 0 }, quiet);
      // Six 100 s transcripts, then a 400 s index, then the brain's summary; one transcript running since now.
      const transcripts = [1, 2, 3, 4, 5, 6].map((n) => `t${n}`);
      store.insertPlan({
        plan_id: 'p',
        name: 'p',
        source: 't',
        allow_external_sensitive: false,
        tasks: [
          ...transcripts.map((name) => task(name, [], 100)),
          task('index', transcripts, 400),
          task('summary', ['index'], 30, 'brain'),
        ],
      });
      transitions.lease('p.t1', 'w1');
      const nowS = NOW_MS / 1000;
      // The path: a transcript (100 s) then the index (400 s). The work: 6 x 100 + 400 = 1,000 s over 2 cards = 500 s.
      const onTwo = brainWorkEta(store, NOW_MS, input(2));
      expect(onTwo.map((t) => [t.id, t.executor, t.model, t.etaS - nowS])).toEqual([
        ['p.summary', 'brain', 'qwen2.5:14b', 500],
      ]);
      // Over one card the work decides: 1,000 s.
      expect(brainWorkEta(store, NOW_MS, input(1))[0]?.etaS).toBe(nowS + 1_000);
    },
  );

  it('leaves out plans whose brain work is done, and plans too big to walk every second', () => {
    store.insertPlan({
      plan_id: 'done',
      name: 'done',
      source: 't',
      allow_external_sensitive: false,
      tasks: [task('a', [], 10), task('b', [], 10, 'brain')],
    });
    const big = Array.from({ length: 5_001 }, (_, i) => task(`w${i}`, [], 1));
    store.insertPlan({
      plan_id: 'big',
      name: 'big',
      source: 't',
      allow_external_sensitive: false,
      tasks: [...big, task('sum', ['w0'], 10, 'brain')],
    });
    expect(brainWorkEta(store, NOW_MS, input(3))).toEqual([]);
  });
});
