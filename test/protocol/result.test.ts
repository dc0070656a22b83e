import { err, ok, type Failure, type Result } from '@rigmind/protocol';
import { describe, expect, expectTypeOf, it } from 'vitest';

type ParseCode = 'empty' | 'not_a_number';

function parseCount(text: string): Result<number, ParseCode, { readonly column: number }> {
  if (text === '') return err('empty', 'nothing to parse', { column: 0 });
  const n = Number(text);
  return Number.isInteger(n) ? ok(n) : err('not_a_number', `${text} is not a whole number`, { column: 1 });
}

describe('Result', () => {
  it('builds a success and a failure with typed extras', () => {
    expect(parseCount('12')).toEqual({ ok: true, value: 12 });
    expect(parseCount('x')).toEqual({ ok: false, code: 'not_a_number', message: 'x is not a whole number', column: 1 });
    expect(ok()).toEqual({ ok: true, value: undefined });
  });

  it('narrows on ok and keeps the code union closed', () => {
    const result = parseCount('');
    if (result.ok) throw new Error('expected a failure');
    expectTypeOf(result.code).toEqualTypeOf<ParseCode>();
    expectTypeOf(result.column).toEqualTypeOf<number>();
    expectTypeOf<Failure<typeof result>>().toHaveProperty('message');
    // @ts-expect-error a code outside the union does not type-check
    const wrong: Result<number, ParseCode> = err('other', 'no');
    expect(wrong.ok).toBe(false);
  });

  it('refuses extras that would shadow ok, code or message', () => {
    // @ts-expect-error extras cannot redefine the discriminant
    const shadowed = err('empty', 'x', { ok: true });
    // The runtime still keeps the failure a failure, whatever a cast let through.
    expect(shadowed).toMatchObject({ ok: false, code: 'empty' });
  });
});
