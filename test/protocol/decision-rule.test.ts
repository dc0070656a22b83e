import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DECISION_RULE,
  DeciderSchema,
  DecisionKindSchema,
  mayDecide,
  type Decider,
  type DecisionKind,
} from '../../protocol/src/decision-rule.js';

const deciders = DeciderSchema.options;
const kinds = DecisionKindSchema.options;

describe('the decision rule: who may decide what', () => {
  it('the table says what docs/architecture.md says', () => {
    // The brain's model proposes, and never without the rules' validation.
    for (const kind of kinds) {
      if ((DECISION_RULE[kind].by as readonly Decider[]).includes('brain_model'))
        expect(DECISION_RULE[kind].validated).toBe(true);
    }
    // Claude only advises: the gateway makes no other decision.
    expect(kinds.filter((kind) => (DECISION_RULE[kind].by as readonly Decider[]).includes('gateway'))).toEqual([
      'advise',
    ]);
    // A change of command and running a drafted plan need the person when the model proposes them.
    expect(DECISION_RULE.change_command.approved).toEqual(['brain_model']);
    expect(DECISION_RULE.run_plan.approved).toEqual(['brain_model']);
    // Only the person cancels.
    expect(DECISION_RULE.cancel.by).toEqual(['person']);
  });

  it('applies what the table allows and refuses the rest, saying why', () => {
    expect(mayDecide('brain_model', 'retry', { validated: true, approved: false }).ok).toBe(true);
    expect(mayDecide('brain_model', 'retry', { validated: false, approved: true })).toMatchObject({
      ok: false,
      code: 'not_validated',
    });
    expect(mayDecide('brain_model', 'change_command', { validated: true, approved: false })).toMatchObject({
      ok: false,
      code: 'needs_approval',
    });
    expect(mayDecide('brain_model', 'change_command', { validated: true, approved: true }).ok).toBe(true);
    expect(mayDecide('person', 'change_command', { validated: true, approved: false }).ok).toBe(true);
    expect(mayDecide('gateway', 'retry', { validated: true, approved: true })).toMatchObject({
      ok: false,
      code: 'not_allowed',
    });
    expect(mayDecide('gateway', 'change_command', { validated: true, approved: true })).toMatchObject({
      code: 'not_allowed',
    });
    expect(mayDecide('gateway', 'advise', { validated: true, approved: false }).ok).toBe(true);
    expect(mayDecide('brain_model', 'cancel', { validated: true, approved: true }).ok).toBe(false);
  });

  it('property: a decision is applied only if the table gives it to the decider and its checks are done', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...deciders),
        fc.constantFrom(...kinds),
        fc.boolean(),
        fc.boolean(),
        (decider: Decider, kind: DecisionKind, validated, approved) => {
          const row = DECISION_RULE[kind];
          const allowed = mayDecide(decider, kind, { validated, approved }).ok;
          const expected =
            (row.by as readonly Decider[]).includes(decider) &&
            (!row.validated || validated) &&
            (!(row.approved as readonly Decider[]).includes(decider) || approved);
          expect(allowed).toBe(expected);
          // Forbidden whatever the checks: the gateway commanding, the model acting on an unvalidated proposal.
          if (decider === 'gateway' && kind !== 'advise') expect(allowed).toBe(false);
          if (decider === 'brain_model' && !validated) expect(allowed).toBe(false);
          if (decider === 'brain_model' && kind === 'change_command' && !approved) expect(allowed).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
