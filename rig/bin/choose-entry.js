// Which entry the rigmind bin runs: rig/dist when it and protocol's build are up to date, else the source.
import { chooseEntry as choose } from '@rigmind/protocol/choose-entry';

/** The rig's entry: `{ kind: 'dist', path }`, or `{ kind: 'source', path, reason }`; `rigDir` is rig's folder. */
export function chooseEntry(rigDir) {
  return choose({ dir: rigDir, name: 'rig', dist: 'dist/cli/bin.js', source: 'src/cli/bin.ts', imports: ['protocol'] });
}
