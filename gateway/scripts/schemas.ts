// `npm run schemas [-- --check]`: every file generated from the zod schemas. The protocol's JSON Schema files and
// dispatch table first (protocol/scripts/export-json-schema.ts), then the gateway's OpenAPI document; with --check
// nothing is written and the exit code is 1 if any of them is stale.
await import('../../protocol/scripts/export-json-schema.js');
await import('./openapi.js');
