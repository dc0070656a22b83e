#!/usr/bin/env node
// Runs the rigmind CLI from its TypeScript source: registers tsx, plus a resolve hook that adds the `source`
// export condition so @rigmind/protocol resolves to its TypeScript too. A built install (`npm run build`)
// can run dist/cli/main.js with plain node instead.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      "export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...new Set([...context.conditions, 'source'])] }); }",
    ),
  import.meta.url,
);
registerTsx();
await import('../src/cli/bin.ts');
