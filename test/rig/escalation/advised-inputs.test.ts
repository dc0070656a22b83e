import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok } from '@rigmind/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { insertAdvisedSubtasks } from '../../../rig/src/escalation/advised-subtasks.js';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';
import { rowToTask } from '../../../rig/src/store/rows.js';
import { Store } from '../../../rig/src/store/store.js';
import { Transitions } from '../../../rig/src/store/transitions.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('advised subtasks with inputs', () => {
  it('rename a from input along with the sibling it names, and keep its resolved file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigmind-advised-'));
    dirs.push(dir);
    const store = new Store(join(dir, 'state.db'), { now: () => 1_000, random: () => 0.5, id: () => 'id' });
    try {
      store.insertPlan({
        plan_id: 'p',
        name: 'p',
        source: 't',
        allow_external_sensitive: false,
        tasks: [
          {
            name: 'hard',
            type: 'llm',
            prompt: 'x',
            task_class: 'llm',
            executor: 'worker',
            depends_on: [],
            priority: 5,
            max_retries: 3,
            timeout_s: 10,
            requires_external: true,
            sensitive: false,
          },
        ],
      });
      const transitions = new Transitions(store, { base_ms: 1, cap_ms: 1 }, { emit: () => undefined });
      const parent = store.task('p.hard');
      if (parent === undefined) throw new Error('no parent');
      const inserted = insertAdvisedSubtasks(
        store,
        transitions,
        (plan) => {
          const resolved = resolvePlan(plan);
          return resolved.ok ? ok(resolved.value.tasks) : resolved;
        },
        parent,
        [
          { name: 'fetch', command: 'date > "$RIGMIND_OUTPUT"', output: '/tmp/fetched.txt' },
          {
            name: 'read',
            depends_on: ['fetch'],
            inputs: { page: { from: 'fetch' } },
            prompt: 'Read {{input.page}}',
          },
        ],
        'external:gateway',
      );
      expect(inserted).toMatchObject({ ok: true, value: { names: ['hard.fetch', 'hard.read'] } });
      const read = store.task('p.hard.read');
      expect(read && rowToTask(read).inputs).toEqual({ page: { file: '/tmp/fetched.txt', from: 'hard.fetch' } });
    } finally {
      store.close();
    }
  });
});
