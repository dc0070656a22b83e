import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Scans all three workspaces, so it lives with protocol, where Result is defined.
const ROOT = join(import.meta.dirname, '../..');
const SCANNED = ['protocol/src', 'rig/src', 'gateway/src'];

/**
 * A result shape written by hand in a type: `readonly ok: true` anywhere, or `ok: false;` as a member of an
 * object type. Object literals (values) separate members with commas, so `{ ok: true, value }` is not matched.
 */
const AD_HOC = [/\breadonly ok: (true|false)\b/, /\bok: (true|false);/];

/** Where the one Result shape is defined, and protocol's Parsed (its failure nests a ProtocolError the brain reads). */
const DEFINITIONS = new Set(['protocol/src/result.ts', 'protocol/src/errors.ts']);

/**
 * Files still allowed an ad-hoc shape. Empty it as they move to Result; a file listed here that no longer has one
 * fails the test too, so the list cannot go stale.
 */
const ALLOWED = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Each line of `text` holding an ad-hoc result shape, as `where:line: code`; comment lines do not count. */
function adHocShapes(where: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => {
    const code = line.trimStart();
    if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return [];
    return AD_HOC.some((pattern) => pattern.test(line)) ? [`${where}:${i + 1}: ${code}`] : [];
  });
}

const shapesIn = (file: string): string[] => adHocShapes(file, readFileSync(join(ROOT, file), 'utf8'));

describe("expected failures use protocol's Result", () => {
  const files = SCANNED.flatMap(sourceFiles).filter((file) => !DEFINITIONS.has(file));

  it('finds the shapes it is looking for, and not values or comments', () => {
    const sample = [
      'type A = { readonly ok: true; readonly n: number } | { readonly ok: false; readonly why: string };',
      'function f(): { ok: true; n: number } | { ok: false; problem: string } {',
      '  return { ok: true, n: 1 };',
      '// a comment may say { ok: false; ... }',
      "const r: Result<number, 'x'> = ok(1);",
    ].join('\n');
    expect(adHocShapes('sample.ts', sample)).toEqual([
      'sample.ts:1: type A = { readonly ok: true; readonly n: number } | { readonly ok: false; readonly why: string };',
      'sample.ts:2: function f(): { ok: true; n: number } | { ok: false; problem: string } {',
    ]);
  });

  it('has no hand-written result shape outside the allow-list', () => {
    expect(files.filter((file) => !ALLOWED.has(file)).flatMap(shapesIn)).toEqual([]);
  });

  it('lists only files that still have one', () => {
    expect([...ALLOWED].filter((file) => !files.includes(file) || shapesIn(file).length === 0)).toEqual([]);
  });
});
