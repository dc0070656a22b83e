import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseEntry } from '../../../gateway/bin/choose-entry.js';

const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A workspace tree like the repo's, each file written with mtime `at` (s); returns the gateway's folder. */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), 'rigmind-gw-bin-'));
  trees.push(root);
  for (const [path, at] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, at, at);
  }
  return join(root, 'gateway');
}

const BUILT_AT = 2_000;
const built = {
  'gateway/src/cli/main.ts': 1_000,
  'gateway/dist/cli/main.js': BUILT_AT,
  'gateway/dist/.tsbuildinfo': BUILT_AT,
  'protocol/src/index.ts': 1_000,
  'protocol/dist/.tsbuildinfo': BUILT_AT,
  'rig/src/index.ts': 1_000,
};

describe('the rigmind-gateway bin', () => {
  it('runs the build only while neither its sources nor protocol’s are newer', () => {
    expect(chooseEntry(tree(built))).toMatchObject({
      kind: 'dist',
      path: expect.stringMatching(/dist\/cli\/main\.js$/),
    });
    expect(chooseEntry(tree({ ...built, 'gateway/src/cli/main.ts': BUILT_AT + 1 }))).toMatchObject({
      kind: 'source',
      reason: 'gateway/src is newer than its build',
      path: expect.stringMatching(/gateway\/src\/cli\/main\.ts$/),
    });
    // Protocol is compiled into what the gateway runs: its edit makes the gateway's build stale too.
    expect(chooseEntry(tree({ ...built, 'protocol/src/index.ts': BUILT_AT + 1 }))).toMatchObject({
      kind: 'source',
      reason: 'protocol/src is newer than its build',
    });
    // The gateway imports nothing of the rig.
    expect(chooseEntry(tree({ ...built, 'rig/src/index.ts': BUILT_AT + 1 }))).toMatchObject({ kind: 'dist' });
    // The Pi's install: dist and bin, no src.
    const installed = Object.fromEntries(Object.entries(built).filter(([path]) => !path.includes('/src/')));
    expect(chooseEntry(tree(installed))).toMatchObject({ kind: 'dist' });
  });
});
