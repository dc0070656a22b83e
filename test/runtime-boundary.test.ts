import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Cross-cutting, so it sits at the top of test/ rather than under one workspace's mirror.
const ROOT = join(import.meta.dirname, '..');
const SCANNED = ['rig/src', 'gateway/src'];

/** Reading the clock, randomness or a fresh id in place, instead of through an injected Runtime. */
const RAW = [/\bDate\.now\b/, /new Date\(\)/, /\bMath\.random\b/, /\brandomUUID\b/];

/**
 * Files still allowed a raw read. Empty it as they move to Runtime; a file listed here that no longer needs it
 * fails the test too, so the list cannot go stale.
 */
const ALLOWED = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

// Comment lines may name the raw calls (to say why they are avoided); only code counts.
function rawReads(file: string): string[] {
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      const code = line.trimStart();
      if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return [];
      return RAW.some((pattern) => pattern.test(line)) ? [`${file}:${i + 1}: ${code}`] : [];
    });
}

describe('time, randomness and ids come from an injected Runtime', () => {
  const files = SCANNED.flatMap(sourceFiles);

  it('reads no raw clock, random or UUID outside the allow-list', () => {
    expect(files.filter((file) => !ALLOWED.has(file)).flatMap(rawReads)).toEqual([]);
  });

  it('lists only files that still need it', () => {
    expect([...ALLOWED].filter((file) => !files.includes(file) || rawReads(file).length === 0)).toEqual([]);
  });
});
