import { describe, expect, it } from 'vitest';
import { standingApproval } from '../../../rig/src/ask/approval.js';

// `ask`'s approval goes through the protocol's table of decisions (run_plan), as the judge's decisions do.
describe("a plan's standing approval", () => {
  it("runs the brain's draft on --yes, and asks the person without it", () => {
    expect(standingApproval('local', true)).toEqual({ ok: true, value: true });
    expect(standingApproval('local', false)).toMatchObject({ ok: false, code: 'needs_approval' });
  });

  it("never runs Claude's proposal on --yes: the gateway may not decide run_plan", () => {
    expect(standingApproval('external', true)).toMatchObject({
      ok: false,
      code: 'not_allowed',
      message: 'gateway may not decide run_plan',
    });
    expect(standingApproval('external', false)).toMatchObject({ ok: false, code: 'not_allowed' });
  });
});
