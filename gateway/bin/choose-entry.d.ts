/** Which entry the rigmind-gateway bin runs: the compiled build when it is up to date, else the TypeScript source. */
export type Entry = { kind: 'dist'; path: string } | { kind: 'source'; path: string; reason: string };
/** Choose the entry for the gateway package in `gatewayDir`. */
export function chooseEntry(gatewayDir: string): Entry;
