/**
 * Write the protocol's JSON Schema files to docs/schema and the dispatch table into docs/protocol.md,
 * or with --check, exit 1 if any of them is not what the current schemas produce (for CI and tests).
 * Usage: npm run schemas [-- --check]
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchemaFiles, SCHEMA_DIR, withDispatchTable } from './schema-files.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROTOCOL_DOC = 'docs/protocol.md';

/** Every generated file with its wanted content and what is on disk now (undefined when absent). */
async function plan(): Promise<{ path: string; want: string | undefined; have: string | undefined }[]> {
  const read = (path: string): Promise<string | undefined> => readFile(join(ROOT, path), 'utf8').catch(() => undefined);
  const files = buildSchemaFiles();
  const entries = await Promise.all(
    [...files].map(async ([path, want]) => ({ path, want: want as string | undefined, have: await read(path) })),
  );
  const present = await readdir(join(ROOT, SCHEMA_DIR)).catch(() => [] as string[]);
  // A schema file nobody generates any more is stale: it would mislead a reader.
  for (const name of present) {
    const path = `${SCHEMA_DIR}/${name}`;
    if (!files.has(path) && name.endsWith('.json')) entries.push({ path, want: undefined, have: await read(path) });
  }
  const doc = await read(PROTOCOL_DOC);
  if (doc !== undefined) entries.push({ path: PROTOCOL_DOC, want: withDispatchTable(doc) ?? doc, have: doc });
  return entries;
}

const check = process.argv.includes('--check');
const stale = (await plan()).filter((entry) => entry.want !== entry.have);
if (check) {
  for (const entry of stale)
    console.error(`${entry.path}: ${entry.want === undefined ? 'no longer generated' : 'out of date'}`);
  if (stale.length > 0) console.error('run `npm run schemas` and commit the result');
  process.exitCode = stale.length > 0 ? 1 : 0;
} else {
  for (const entry of stale) {
    const target = join(ROOT, entry.path);
    if (entry.want === undefined) await rm(target);
    else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.want);
    }
    console.log(`${entry.want === undefined ? 'removed' : 'wrote'} ${entry.path}`);
  }
  if (stale.length === 0) console.log('schemas are up to date');
}
