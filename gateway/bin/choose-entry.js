// Which entry the rigmind-gateway bin runs: gateway/dist when it and protocol's build are up to date, else the
// source (a Pi install ships dist/ and no src/, so it always runs the build).
import { chooseEntry as choose } from '@rigmind/protocol/choose-entry';

/** The gateway's entry: `{ kind: 'dist', path }`, or `{ kind: 'source', path, reason }`. */
export function chooseEntry(gatewayDir) {
  return choose({
    dir: gatewayDir,
    name: 'gateway',
    dist: 'dist/cli/main.js',
    source: 'src/cli/main.ts',
    imports: ['protocol'],
  });
}
