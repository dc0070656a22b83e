import { describe, expect, expectTypeOf, it } from 'vitest';
import { REFUSAL_CODES, refusalCodeOf, type ProtocolErrorCode, type RefusalCode } from '../../protocol/src/index.js';

describe('refusal codes', () => {
  it('include every code protocol refuses a frame with: the brain answers those frames with it', () => {
    expectTypeOf<ProtocolErrorCode>().toExtend<RefusalCode>();
  });

  it('close a wire code: a known one stays, an unknown one (a newer brain) becomes refused', () => {
    for (const code of REFUSAL_CODES) expect(refusalCodeOf(code)).toBe(code);
    expect(refusalCodeOf('quota_exceeded_v9')).toBe('refused');
    expect(refusalCodeOf('')).toBe('refused');
  });
});
