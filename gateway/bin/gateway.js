#!/usr/bin/env node
// Runs the gateway CLI: the compiled JavaScript when it is built and up to date (a Pi install ships dist/ and no
// TypeScript toolchain; plain node also starts several times faster), else the TypeScript source through tsx with
// the `source` export condition, so @rigmind/protocol resolves to its TypeScript too (development).
import { fileURLToPath } from 'node:url';
import { chooseEntry } from './choose-entry.js';

// A source file edited after the last build (the gateway's or protocol's) means dist/ is stale: run the source.
const entry = chooseEntry(fileURLToPath(new URL('..', import.meta.url)));
if (entry.kind === 'dist') {
  await import(entry.path);
} else {
  const { register } = await import('node:module');
  const { register: registerTsx } = await import('tsx/esm/api');
  register(
    'data:text/javascript,' +
      encodeURIComponent(
        'export async function resolve(specifier, context, next) { ' +
          "return next(specifier, { ...context, conditions: [...new Set([...context.conditions, 'source'])] }); }",
      ),
    import.meta.url,
  );
  registerTsx();
  await import(entry.path);
}
