import type { Task } from '@rigmind/protocol';

/** A leased worker llm task (id `t` in plan `p`) with `more` over the defaults, for tests of what runs one. */
export function leasedTask(more: Partial<Task> = {}): Task {
  return {
    task_id: 't',
    plan_id: 'p',
    name: 't',
    type: 'llm',
    task_class: 'llm',
    executor: 'worker',
    depends_on: [],
    priority: 5,
    status: 'leased',
    created_at: '2026-12-05T00:00:00.000Z',
    retry_count: 0,
    max_retries: 3,
    timeout_s: 60,
    requires_external: false,
    sensitive: false,
    source: 'test',
    ...more,
  };
}
