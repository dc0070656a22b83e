// Which entry a workspace's bin runs: its compiled build when that is there and up to date, else its TypeScript
// source through tsx. Plain JavaScript, so that deciding costs no compiler: a stat of each source file (~190,
// ~2 ms) against 4-8 s for tsx to compile a CLI on a busy machine. Shared by the rig's and the gateway's bins
// through the one package both import; it is tooling for the bins, not part of protocol's (I/O-free) API.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `{ kind: 'dist', path }` when `dir/<dist>` exists and the build of the package and of every package it imports
 * (each one's `dist/.tsbuildinfo`, which `tsc -b` rewrites on every build that changed something) is not older
 * than its newest source file; otherwise `{ kind: 'source', path, reason }`. A package without `src` (an npm
 * install) counts as built. `dir` is the package's folder, named `name`; its siblings hold the packages it
 * imports (`imports`), in the repo and in node_modules alike.
 */
export function chooseEntry({ dir, name, dist, source, imports }) {
  const built = join(dir, dist);
  const fromSource = { kind: 'source', path: join(dir, source) };
  if (!existsSync(built)) return { ...fromSource, reason: 'not built' };
  for (const pkg of [name, ...imports]) {
    const pkgDir = pkg === name ? dir : join(dir, '..', pkg);
    const newest = newestMtimeMs(join(pkgDir, 'src'));
    if (newest === 0) continue;
    const info = join(pkgDir, 'dist/.tsbuildinfo');
    if (!existsSync(info)) return { ...fromSource, reason: `${pkg} not built` };
    if (statSync(info).mtimeMs < newest) return { ...fromSource, reason: `${pkg}/src is newer than its build` };
  }
  return { kind: 'dist', path: built };
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
