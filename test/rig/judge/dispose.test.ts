import fc from 'fast-check';
import { err, ok, RigConfigSchema } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { dispose } from '../../../rig/src/judge/dispose.js';
import type { TaskRow } from '../../../rig/src/store/rows.js';

const config = RigConfigSchema.parse({ judge: { enabled: true } });
const approving = RigConfigSchema.parse({ judge: { enabled: true, allow_command_change: true } });

const row: TaskRow = {
  task_id: 'p-1.t',
  plan_id: 'p-1',
  seq: 0,
  name: 't',
  type: 'shell',
  command: 'exit 3',
  prompt: null,
  model: null,
  task_class: 'cpu',
  executor: 'worker',
  depends_on: '[]',
  priority: 5,
  status: 'retry_wait',
  created_at: '2026-01-01T00:00:00.000Z',
  retry_count: 0,
  max_retries: 0,
  timeout_s: 60,
  estimate_s: null,
  vram_mb: null,
  requires_external: 0,
  sensitive: 0,
  source: 'cli',
  fix_applied: null,
  cwd: null,
  env: null,
  io: null,
  pending_deps: 0,
  queued_at: null,
  next_attempt_at: null,
  attempts: 1,
  preemptions: 0,
  lost_leases: 0,
  cause: 'judging: exit code 3',
  output: null,
  finished_at: null,
  judgement: null,
};

const reply = (value: unknown) => ok(JSON.stringify(value));

describe("the rules dispose of the brain model's judgement", () => {
  it('refuses a command change without the policy, and applies it with', () => {
    const change = reply({ decision: 'fix', reasoning: 'r', confidence: 0.9, fix: { command: 'true' } });
    expect(dispose(change, row, config)).toMatchObject({
      note: { outcome: 'refused' },
      verdict: { kind: 'default' },
    });
    expect(dispose(change, row, approving)).toMatchObject({
      note: { outcome: 'applied', fix: 'brain model: command=true' },
      verdict: { kind: 'fix', fix: { command: 'true' } },
    });
  });

  it('falls back on no answer and on an unusable one; escalates an unsure one', () => {
    expect(dispose(err('no_answer', 'ollama_unreachable: down'), row, config)).toMatchObject({
      note: { outcome: 'no_answer' },
      verdict: { kind: 'default' },
    });
    expect(dispose(ok('retry please'), row, config).verdict).toEqual({ kind: 'default' });
    expect(dispose(reply({ decision: 'retry', reasoning: 'r', confidence: 0.1 }), row, config)).toMatchObject({
      note: { outcome: 'low_confidence' },
      verdict: { kind: 'escalate' },
      escalate: 'low_confidence',
    });
    const unknownModel = reply({ decision: 'fix', reasoning: 'r', confidence: 0.9, fix: { model: 'gpt-9' } });
    expect(dispose(unknownModel, { ...row, type: 'llm', command: null }, config).note.outcome).toBe('refused');
  });

  it('property: whatever the model replies, a forbidden decision is never applied', () => {
    const fix = fc.record(
      {
        command: fc.string({ minLength: 1 }),
        timeout_s: fc.double({ min: 0.1, max: 1000, noNaN: true }),
        model: fc.constantFrom('qwen2.5:7b', 'qwen2.5:14b', 'evil:1b'),
        env: fc.constant({ A: '1' }),
      },
      { requiredKeys: [] },
    );
    const judgement = fc.record(
      {
        decision: fc.constantFrom('retry', 'fix', 'escalate', 'give_up', 'delete_everything'),
        reasoning: fc.string({ minLength: 1 }),
        confidence: fc.double({ min: -1, max: 2, noNaN: true }),
        fix,
        reason: fc.string(),
      },
      { requiredKeys: ['decision'] },
    );
    // Well-formed, confident fixes: what the rules must still bound.
    const confidentFix = fc.record({
      decision: fc.constant('fix'),
      reasoning: fc.string({ minLength: 1 }),
      confidence: fc.double({ min: 0.6, max: 1, noNaN: true }),
      fix: fc.record(
        {
          command: fc.string({ minLength: 1 }),
          timeout_s: fc.double({ min: 0.1, max: 1000, noNaN: true }),
          model: fc.constantFrom('qwen2.5:7b', 'evil:1b'),
        },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(judgement, confidentFix, fc.string()), fc.constantFrom('shell', 'llm'), (value, type) => {
        const task = { ...row, type: type as 'shell' | 'llm' };
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        const out = dispose(ok(text), task, config);
        if (out.verdict.kind === 'fix') {
          // No change of command without the person; no model the rig does not have; nothing outside the bounds.
          expect(out.verdict.fix.command === undefined || out.verdict.fix.command === task.command).toBe(true);
          expect([undefined, 'qwen2.5:7b', 'qwen2.5:14b']).toContain(out.verdict.fix.model);
          expect(Object.keys(out.verdict.fix)).not.toContain('env');
        }
        if (out.note.outcome === 'applied') expect(out.note.confidence ?? 0).toBeGreaterThanOrEqual(0.6);
        if (out.note.outcome !== 'applied' && out.note.outcome !== 'low_confidence')
          expect(out.verdict.kind).toBe('default');
      }),
      { numRuns: 400 },
    );
  });
});
