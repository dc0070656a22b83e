/** Which entry the rigmind bin runs: the compiled build when it is up to date, else the TypeScript source. */
export type Entry = { kind: 'dist'; path: string } | { kind: 'source'; path: string; reason: string };
/** Choose the entry for the rig package in `rigDir`. */
export function chooseEntry(rigDir: string): Entry;
