import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PlanStatus, TaskStatusRow } from '@rigmind/protocol';
import { Progress } from '../../../rig/src/cli/progress.js';

function capture(): { out: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { out: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const row = (name: string, status: TaskStatusRow['status'], cause: string | null): TaskStatusRow => ({
  task_id: `p-1.${name}`,
  name,
  task_class: 'cpu',
  status,
  priority: 5,
  attempts: 1,
  preemptions: 0,
  lost_leases: 0,
  worker_id: 'w1',
  return_code: status === 'failed' ? 3 : 0,
  elapsed_seconds: 0.1,
  cause,
  source: 'cli',
  fix_applied: null,
  next_attempt_at: null,
  simulated: false,
  judgement: null,
});

const final = (tasks: TaskStatusRow[]): PlanStatus => ({
  plan_id: 'p-1',
  plan: 'p',
  state: 'failed',
  submitted_at: '2026-11-29T12:00:00.000Z',
  finished_at: '2026-11-29T12:00:01.000Z',
  counts: { failed: 2, completed: 1 },
  total: 3,
  tasks,
});

describe('Progress', () => {
  it('shows at the end a failure the event stream missed, once, and none twice', () => {
    const { out, text } = capture();
    const progress = new Progress(out);
    progress.event({
      timestamp: '2026-11-29T12:00:00.500Z',
      event_type: 'task_failed',
      plan_id: 'p-1',
      task_id: 'p-1.a',
      plan_task_id: 'a',
      cause: 'exit code 3',
    });
    progress.settle(
      final([row('a', 'failed', 'exit code 3'), row('b', 'failed', 'upstream_failed: a'), row('c', 'completed', null)]),
    );
    progress.settle(
      final([row('a', 'failed', 'exit code 3'), row('b', 'failed', 'upstream_failed: a'), row('c', 'completed', null)]),
    );
    progress.finish();
    expect(
      text()
        .split('\n')
        .filter((line) => line !== ''),
    ).toEqual(['  FAILED    a: exit code 3', '  FAILED    b: upstream_failed: a']);
  });
});
