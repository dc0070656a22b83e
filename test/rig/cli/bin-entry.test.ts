import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseEntry } from '../../../rig/bin/choose-entry.js';
import { boundFor } from '../../helpers/process-start.js';
import { REPO } from '../../helpers/rig-harness.js';

const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A workspace tree like the repo's (rig, protocol, gateway side by side), each file written with mtime `at` (s). */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), 'rigmind-bin-'));
  trees.push(root);
  for (const [path, at] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, '');
    utimesSync(full, at, at);
  }
  return join(root, 'rig');
}

const BUILT_AT = 2_000;
const built = {
  'rig/src/cli/bin.ts': 1_000,
  'rig/src/cli/commands/up.ts': 1_000,
  'rig/dist/cli/bin.js': BUILT_AT,
  'rig/dist/.tsbuildinfo': BUILT_AT,
  'protocol/src/index.ts': 1_000,
  'protocol/dist/.tsbuildinfo': BUILT_AT,
  'gateway/src/index.ts': 1_000,
  'gateway/dist/.tsbuildinfo': BUILT_AT,
};

describe('the rigmind bin', () => {
  it('runs the build when it is there and not older than any source, else the source, saying why', () => {
    expect(chooseEntry(tree(built))).toMatchObject({
      kind: 'dist',
      path: expect.stringMatching(/rig\/dist\/cli\/bin\.js$/),
    });
    const { 'rig/dist/cli/bin.js': _bin, ...unbuilt } = built;
    expect(chooseEntry(tree(unbuilt))).toMatchObject({
      kind: 'source',
      reason: 'not built',
      path: expect.stringMatching(/rig\/src\/cli\/bin\.ts$/),
    });
    // An edit deep in the tree since the last build, in the rig or in a package it imports.
    expect(chooseEntry(tree({ ...built, 'rig/src/cli/commands/up.ts': BUILT_AT + 1 }))).toMatchObject({
      kind: 'source',
      reason: 'rig/src is newer than its build',
    });
    expect(chooseEntry(tree({ ...built, 'protocol/src/index.ts': BUILT_AT + 1 }))).toMatchObject({
      kind: 'source',
      reason: 'protocol/src is newer than its build',
    });
    const { 'protocol/dist/.tsbuildinfo': _info, ...protocolUnbuilt } = built;
    expect(chooseEntry(tree(protocolUnbuilt))).toMatchObject({ kind: 'source', reason: 'protocol not built' });
    // The rig imports nothing of the gateway: a gateway edited since its build (or never built) does not matter.
    expect(chooseEntry(tree({ ...built, 'gateway/src/index.ts': BUILT_AT + 1 }))).toMatchObject({ kind: 'dist' });
    // An npm install ships dist and bin, no src: the build is all there is.
    const installed = Object.fromEntries(Object.entries(built).filter(([path]) => !path.includes('/src/')));
    expect(chooseEntry(tree(installed))).toMatchObject({ kind: 'dist' });
  });

  it('runs a command on either path with plain node', { timeout: boundFor(2) }, async () => {
    const entry = chooseEntry(join(REPO, 'rig'));
    const viaBin = await execa(process.execPath, [join(REPO, 'rig/bin/rigmind.js'), '--version'], { reject: false });
    expect(viaBin).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    // Whichever path this checkout chose, the other one works too: the source through tsx, or the build as is.
    const other = entry.kind === 'dist' ? ['-C', 'source', '--import', 'tsx', join(REPO, 'rig/src/cli/bin.ts')] : [];
    if (other.length > 0) {
      const viaSource = await execa(process.execPath, [...other, '--version'], { cwd: REPO, reject: false });
      expect(viaSource.stdout).toBe(viaBin.stdout);
    }
  });
});
