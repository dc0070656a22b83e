import { pooledRandomBytes } from '@rigmind/gateway';
import { describe, expect, it } from 'vitest';

describe('pooled random bytes', () => {
  it('hands out fresh bytes of the asked size across many refills, never the same twice', () => {
    const draw = pooledRandomBytes(64);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i += 1) {
      const bytes = draw(16);
      expect(bytes).toHaveLength(16);
      seen.add(bytes.toString('hex'));
      // The caller owns its copy: scribbling on it cannot reach what the pool hands out next.
      bytes.fill(0);
    }
    expect(seen.size).toBe(2_000);
    expect(seen.has('0'.repeat(32))).toBe(false);
  });

  it('draws sizes over a quarter of the pool straight from the CSPRNG', () => {
    const draw = pooledRandomBytes(64);
    const big = draw(48);
    expect(big).toHaveLength(48);
    expect(big.equals(Buffer.alloc(48))).toBe(false);
    expect(draw(0)).toHaveLength(0);
  });
});
