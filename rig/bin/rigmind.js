#!/usr/bin/env node
// The rigmind CLI. Built (`npm run build`) and up to date, it runs rig/dist with plain node: no compiler at each
// command. Otherwise it runs the TypeScript source: registers tsx, plus a resolve hook that adds the `source`
// export condition so @rigmind/protocol resolves to its TypeScript too.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chooseEntry } from './choose-entry.js';

const entry = chooseEntry(fileURLToPath(new URL('..', import.meta.url)));
if (entry.kind === 'dist') {
  await import(entry.path);
} else {
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
