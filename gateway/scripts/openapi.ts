// Writes docs/gateway-openapi.json from the zod schemas, or with --check exits 1 if it is not what they produce.
// Run by `npm run schemas [-- --check]` (gateway/scripts/schemas.ts), after the protocol's JSON Schema files.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderOpenApi } from '../src/http/openapi.js';

const target = new URL('../../docs/gateway-openapi.json', import.meta.url);
const want = renderOpenApi();
let have: string | undefined;
try {
  have = readFileSync(target, 'utf8');
} catch {
  have = undefined;
}
if (process.argv.includes('--check')) {
  if (have !== want) {
    console.error('docs/gateway-openapi.json: out of date\nrun `npm run schemas` and commit the result');
    process.exitCode = 1;
  }
} else if (have !== want) {
  writeFileSync(target, want);
  console.log('wrote docs/gateway-openapi.json');
} else console.log('docs/gateway-openapi.json is up to date');
