#!/usr/bin/env node
// Runs the gateway CLI: the compiled JavaScript when it is built and up to date (a Pi install ships dist/ and no
// TypeScript toolchain; plain node also starts several times faster), else the TypeScript source through tsx with
// the `source` export condition, so @rigmind/protocol resolves to its TypeScript too (development).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli/main.js', import.meta.url);
const buildInfo = new URL('../dist/.tsbuildinfo', import.meta.url);
const source = fileURLToPath(new URL('../src/', import.meta.url));

// In a checkout, a source file edited after the last build means dist/ is stale: run the source instead.
function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}
const builtAfterSource = () => existsSync(buildInfo) && statSync(buildInfo).mtimeMs >= newestSourceMs(source);
const fresh = existsSync(built) && (!existsSync(source) || builtAfterSource());

if (fresh) {
  await import(built.href);
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
  await import('../src/cli/main.ts');
}
