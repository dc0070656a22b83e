import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Lines stay at 120 columns or fewer (issue 16, docs/architecture.md). Biome's formatter wraps code at 120 but
// leaves long strings and comments alone, so this checks what it cannot: every source line, strings included.

const repo = fileURLToPath(new URL('../../', import.meta.url));
const MAX_COLUMNS = 120;
const ROOTS = ['protocol', 'rig', 'gateway', 'test', 'bench', 'deploy'];
const SKIP = new Set(['node_modules', 'dist', '.rigmind-test', 'results']);
const SOURCE = /\.(ts|js|mjs|cjs|sh)$/;

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (SOURCE.test(entry.name)) yield path;
  }
}

/** Lines over the limit, as `path:line (columns)`. Columns are code points, as an editor counts them. */
function overLong(paths: Iterable<string>): string[] {
  const found: string[] = [];
  for (const path of paths) {
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const columns = [...line].length;
        if (columns > MAX_COLUMNS) found.push(`${relative(repo, path)}:${index + 1} (${columns})`);
      });
  }
  return found;
}

describe('line width', () => {
  it(`keeps every source line at ${MAX_COLUMNS} columns or fewer`, () => {
    const paths = ROOTS.flatMap((root) => [...sources(join(repo, root))]);
    expect(paths.length).toBeGreaterThan(100);
    expect(overLong(paths)).toEqual([]);
  });
});
