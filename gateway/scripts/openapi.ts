// Writes docs/gateway-openapi.json from the zod schemas. Run: node -C source --import tsx gateway/scripts/openapi.ts
import { writeFileSync } from 'node:fs';
import { renderOpenApi } from '../src/http/openapi.js';

const target = new URL('../../docs/gateway-openapi.json', import.meta.url);
writeFileSync(target, renderOpenApi());
process.stdout.write(`wrote ${target.pathname}\n`);
