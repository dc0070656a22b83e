import {
  boundFix,
  err,
  ok,
  type Result,
  fixNote,
  mayDecide,
  parseJudgement,
  type DecisionKind,
  type EscalationReason,
  type Judgement,
  type JudgementNote,
  type RigConfig,
} from '@rigmind/protocol';
import type { TaskRow } from '../store/rows.js';
import type { Verdict } from '../store/transitions.js';

/** A judgement as the rules disposed of it: the note to record, what to do, and where to escalate it if anywhere. */
export interface Disposal {
  readonly note: Omit<JudgementNote, 'attempt' | 'count'>;
  readonly verdict: Verdict;
  readonly escalate?: EscalationReason;
}

/** What the model's reply was: its text, or why there was none (Ollama unreachable, timed out, ...). */
export type Reply = Result<string, 'no_answer'>;

/** The models a fix may switch an llm task to: the rig's configured ones. */
export function fixModels(config: RigConfig): string[] {
  return [...new Set([config.default_llm_model, config.judge.model, ...config.judge.models])];
}

/**
 * The rules dispose of what the brain's model proposed: the reply must be a judgement (zod), a fix must stay in
 * bounds, the decision rule must let the brain's model make it (a change of command only under the person's
 * standing approval), and an unsure judgement goes to the escalation path like an unsure answer. Anything refused
 * or unusable falls back to the rules' default: the task is never lost.
 */
export function dispose(reply: Reply, row: TaskRow, config: RigConfig): Disposal {
  const none = { decision: null, confidence: null, reasoning: null } as const;
  if (!reply.ok) return fallBack({ ...none, outcome: 'no_answer', why: reply.message });
  const parsed = parseJudgement(reply.value);
  if (!parsed.ok) return fallBack({ ...none, outcome: 'unusable', why: `${parsed.code}: ${parsed.message}` });
  const judgement = parsed.value;
  const said = { decision: judgement.decision, confidence: judgement.confidence, reasoning: judgement.reasoning };
  const threshold = config.llm.confidence_threshold;
  if (judgement.confidence < threshold) {
    const why = `confidence ${judgement.confidence} is below the threshold ${threshold}: escalated`;
    return {
      note: { ...said, outcome: 'low_confidence', why },
      verdict: { kind: 'escalate' },
      escalate: 'low_confidence',
    };
  }
  const checked = validate(judgement, row, config);
  if (!checked.ok) return fallBack({ ...said, outcome: 'refused', why: checked.message });
  const allowed = mayDecide('brain_model', checked.value, {
    validated: true,
    approved: config.judge.allow_command_change,
  });
  if (!allowed.ok) return fallBack({ ...said, outcome: 'refused', why: `${allowed.code}: ${allowed.message}` });
  return applied(judgement, said);
}

function applied(judgement: Judgement, said: Pick<JudgementNote, 'decision' | 'confidence' | 'reasoning'>): Disposal {
  switch (judgement.decision) {
    case 'retry':
      return { note: { ...said, outcome: 'applied' }, verdict: { kind: 'retry' } };
    case 'fix': {
      const fix = judgement.fix ?? {};
      const note = fixNote(fix);
      return { note: { ...said, outcome: 'applied', fix: note }, verdict: { kind: 'fix', fix, note } };
    }
    case 'escalate':
      return { note: { ...said, outcome: 'applied' }, verdict: { kind: 'escalate' }, escalate: 'brain_judgement' };
    case 'give_up': {
      const reason = judgement.reason ?? judgement.reasoning;
      return { note: { ...said, outcome: 'applied', reason }, verdict: { kind: 'give_up', reason } };
    }
  }
}

// Which decision of the table a judgement is, once its fix (if any) is within the bounds.
function validate(judgement: Judgement, row: TaskRow, config: RigConfig): Result<DecisionKind, 'out_of_bounds'> {
  if (judgement.decision !== 'fix') return ok(judgement.decision);
  const bounded = boundFix(judgement.fix ?? {}, { models: fixModels(config), type: row.type });
  if (!bounded.ok) return err('out_of_bounds', `${bounded.code}: ${bounded.message}`);
  const changesCommand = judgement.fix?.command !== undefined && judgement.fix.command !== row.command;
  return ok(changesCommand ? 'change_command' : 'fix_definition');
}

function fallBack(note: Disposal['note']): Disposal {
  return { note: { ...note, why: `${note.why ?? ''}; the rules' default applies` }, verdict: { kind: 'default' } };
}
