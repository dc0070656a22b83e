// Which entry the rigmind bin runs: the compiled build when it is there and up to date, else the TypeScript
// source through tsx. Plain JavaScript, so that deciding costs no compiler: a stat of each source file (~190,
// ~2 ms) against 4-8 s for tsx to compile the CLI on a busy machine.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The workspaces the CLI's build is made of: the rig and the packages it imports. */
const PACKAGES = ['rig', 'protocol'];

/**
 * `{ kind: 'dist', path }` when `rig/dist/cli/bin.js` exists and every package's build (its `dist/.tsbuildinfo`,
 * which `tsc -b` rewrites on every build that changed something) is not older than its newest source file;
 * otherwise `{ kind: 'source', path, reason }`. A package without `src` (an npm install) counts as built.
 * `rigDir` is the rig package's folder; its siblings hold the other packages, in the repo and in node_modules.
 */
export function chooseEntry(rigDir) {
  const dist = join(rigDir, 'dist/cli/bin.js');
  const source = { kind: 'source', path: join(rigDir, 'src/cli/bin.ts') };
  if (!existsSync(dist)) return { ...source, reason: 'not built' };
  for (const name of PACKAGES) {
    const dir = name === 'rig' ? rigDir : join(rigDir, '..', name);
    const newest = newestMtimeMs(join(dir, 'src'));
    if (newest === 0) continue;
    const info = join(dir, 'dist/.tsbuildinfo');
    if (!existsSync(info)) return { ...source, reason: `${name} not built` };
    if (statSync(info).mtimeMs < newest) return { ...source, reason: `${name}/src is newer than its build` };
  }
  return { kind: 'dist', path: dist };
}

/** The newest modification time of any file under `dir` (0 when there is none). */
function newestMtimeMs(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}
