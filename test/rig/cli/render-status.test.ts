import { describe, expect, it } from 'vitest';
import { PlanStatusSchema, type PlanStatus, type TaskStatusRow } from '@rigmind/protocol';
import { renderPlanStatus } from '../../../rig/src/cli/render-status.js';

const row = (name: string, extra: Partial<TaskStatusRow> = {}): TaskStatusRow => ({
  task_id: `p-1.${name}`,
  name,
  task_class: 'cpu',
  status: 'completed',
  priority: 5,
  attempts: 1,
  preemptions: 0,
  lost_leases: 0,
  worker_id: 'w1',
  return_code: 0,
  elapsed_seconds: 0.1,
  cause: null,
  source: 'cli',
  fix_applied: null,
  next_attempt_at: null,
  simulated: false,
  judgement: null,
  ...extra,
});

const plan = (tasks: TaskStatusRow[]): PlanStatus => ({
  plan_id: 'p-1',
  plan: 'p',
  state: 'running',
  submitted_at: '2026-11-29T12:00:00.000Z',
  finished_at: null,
  counts: { completed: tasks.length },
  total: tasks.length,
  tasks,
});

describe('a plan status for a person', () => {
  it('says how many attempts lost their worker, and nothing when none did', () => {
    const text = renderPlanStatus(plan([row('steady'), row('bumped', { attempts: 3, lost_leases: 2 })]), true);
    expect(text).toMatch(/^ {2}bumped +completed +3 {2}w1 .*\[lost worker 2x\]/m);
    expect(text).not.toMatch(/^ {2}steady .*lost/m);
  });

  it('reads a row from a brain that sends no lost_leases as none lost', () => {
    const { lost_leases: _omitted, ...old } = row('old');
    const parsed = PlanStatusSchema.parse({ ...plan([]), tasks: [old] });
    expect(parsed.tasks?.[0]?.lost_leases).toBe(0);
    expect(renderPlanStatus(parsed, true)).not.toMatch(/lost/);
  });

  it("shows the brain model's judgement under its task: decision, confidence, outcome and reasoning", () => {
    const judged = row('flaky', {
      status: 'failed',
      judgement: {
        attempt: 1,
        count: 1,
        decision: 'fix',
        confidence: 0.8,
        reasoning: 'the command\nhas a typo',
        outcome: 'refused',
        why: "needs_approval: change_command by brain_model needs the person's approval",
      },
    });
    const text = renderPlanStatus(plan([row('plain'), judged]), true);
    expect(text).toContain(
      "\n    judged fix (confidence 0.8), refused: needs_approval: change_command by brain_model needs the person's " +
        'approval. because: the command has a typo',
    );
    expect(text.split('\n').filter((line) => line.includes('judged'))).toHaveLength(1);
  });

  it('reads a row from a brain that sends no judgement as none', () => {
    const { judgement: _omitted, ...old } = row('old');
    const parsed = PlanStatusSchema.parse({ ...plan([]), tasks: [old] });
    expect(parsed.tasks?.[0]?.judgement).toBeNull();
    expect(renderPlanStatus(parsed, true)).not.toMatch(/judged/);
  });
});
