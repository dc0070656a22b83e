import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

// The import boundaries of docs/architecture.md, proven against the real biome binary and the repository's own
// biome.jsonc: each forbidden import makes `biome lint` exit non-zero naming the rule, each allowed one passes.

const repo = fileURLToPath(new URL('../../', import.meta.url));
const biome = join(repo, 'node_modules/.bin/biome');
const scratch = mkdtempSync(join(tmpdir(), 'rigmind-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Diagnostic {
  readonly category: string;
  readonly message: string;
  readonly location?: { readonly start?: { readonly line: number } };
}

interface LintRun {
  readonly exitCode: number;
  readonly found: readonly (readonly [category: string, line: number | undefined, message: string])[];
}

// Overrides match paths relative to the config's folder, so each case is a one-file tree beside a copy of the real
// config, at the path it pretends to be (a fixture under test/ would match test/** instead). One tree per case keeps
// the cases apart: the type-aware rules index every file in the tree.
async function lint(path: string, lines: readonly string[]): Promise<LintRun> {
  const root = mkdtempSync(join(scratch, 'case-'));
  copyFileSync(join(repo, 'biome.jsonc'), join(root, 'biome.jsonc'));
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), `${lines.join('\n')}\n`);
  const run = await execa(biome, ['lint', '--reporter=json', '--max-diagnostics=none', path], {
    cwd: root,
    reject: false,
  });
  const report = JSON.parse(run.stdout) as { readonly diagnostics: readonly Diagnostic[] };
  return {
    exitCode: run.exitCode ?? -1,
    found: report.diagnostics.map((d) => [d.category, d.location?.start?.line, d.message] as const),
  };
}

const RULE = 'lint/style/noRestrictedImports';
const NO_SIDE = 'protocol imports no side';
const NO_IO = 'protocol has no I/O';
const NO_CROSS = 'gateway and rig never import each other';
const NO_SQL = 'only rig/src/store imports better-sqlite3';
const NO_BRAIN = 'a worker never imports the brain';

// Every fixture uses what it imports, so the only finding left is the boundary (the assertions demand exactly that).
interface Forbidden {
  readonly path: string;
  readonly lines: readonly string[];
  readonly line: number;
  readonly says: string;
}

const forbidden: readonly Forbidden[] = [
  {
    path: 'protocol/src/bad.ts',
    lines: ["import { x } from '@rigmind/rig';", 'export const y = x;'],
    line: 1,
    says: NO_SIDE,
  },
  {
    path: 'protocol/src/bad.ts',
    lines: ["import { x } from '../../gateway/src/index.js';", 'export const y = x;'],
    line: 1,
    says: NO_SIDE,
  },
  {
    path: 'protocol/scripts/bad.ts',
    lines: ["import { x } from '@rigmind/gateway/sanitize/redact';", 'export const y = x;'],
    line: 1,
    says: NO_SIDE,
  },
  {
    path: 'protocol/src/bad.ts',
    lines: ["import { readFile } from 'node:fs/promises';", 'export const y = readFile;'],
    line: 1,
    says: NO_IO,
  },
  {
    path: 'protocol/src/bad.ts',
    lines: ["import { spawn } from 'node:child_process';", 'export const y = spawn;'],
    line: 1,
    says: NO_IO,
  },
  {
    path: 'protocol/src/bad.ts',
    lines: ["import { Dealer } from 'zeromq';", 'export const y = Dealer;'],
    line: 1,
    says: NO_IO,
  },
  {
    path: 'gateway/src/bad.ts',
    lines: ["import { x } from '@rigmind/rig';", 'export const y = x;'],
    line: 1,
    says: NO_CROSS,
  },
  {
    path: 'gateway/src/http/bad.ts',
    lines: ["import { Store } from '../../../rig/src/store/store.js';", 'export const y = Store;'],
    line: 1,
    says: NO_CROSS,
  },
  {
    path: 'rig/src/escalation/bad.ts',
    lines: ["import { redactText } from '@rigmind/gateway/sanitize/redact';", 'export const y = redactText;'],
    line: 1,
    says: NO_CROSS,
  },
  {
    path: 'rig/src/cli/bad.ts',
    lines: [
      'export async function load(): Promise<unknown> {',
      "  return await import('../../../gateway/src/index.js');",
      '}',
    ],
    line: 2,
    says: NO_CROSS,
  },
  {
    path: 'rig/src/worker/bad.ts',
    lines: [
      "import { RECONNECT_CAP_HEARTBEATS } from '../brain/worker-registry.js';",
      'export const y = RECONNECT_CAP_HEARTBEATS;',
    ],
    line: 1,
    says: NO_BRAIN,
  },
  { path: 'rig/src/worker/bad.ts', lines: ["export { x } from '../brain/x.js';"], line: 1, says: NO_BRAIN },
  // The worker's override repeats the rig's rules (a matching override replaces, not adds): prove they still hold.
  {
    path: 'rig/src/worker/bad.ts',
    lines: ["import Database from 'better-sqlite3';", 'export const y = Database;'],
    line: 1,
    says: NO_SQL,
  },
  {
    path: 'rig/src/worker/bad.ts',
    lines: ["import { x } from '@rigmind/gateway';", 'export const y = x;'],
    line: 1,
    says: NO_CROSS,
  },
  {
    path: 'rig/src/sim/bad.ts',
    lines: ["import Database from 'better-sqlite3';", 'export const y = Database;'],
    line: 1,
    says: NO_SQL,
  },
  // A type is still the store's knowledge of SQL leaking out.
  {
    path: 'rig/src/brain/bad.ts',
    lines: ["import type Database from 'better-sqlite3';", 'export type Y = Database;'],
    line: 1,
    says: NO_SQL,
  },
];

const allowed: readonly { readonly path: string; readonly lines: readonly string[] }[] = [
  { path: 'rig/src/store/ok.ts', lines: ["import Database from 'better-sqlite3';", 'export const y = Database;'] },
  {
    path: 'rig/src/brain/ok.ts',
    lines: [
      "import { parseMessage } from '@rigmind/protocol';",
      "import { x } from '../worker/x.js';",
      'export const y = [parseMessage, x];',
    ],
  },
  {
    path: 'gateway/src/ok.ts',
    lines: [
      "import Database from 'better-sqlite3';",
      "import { Hono } from 'hono';",
      'export const y = [Database, Hono];',
    ],
  },
  {
    path: 'protocol/src/ok.ts',
    lines: [
      "import { createHmac } from 'node:crypto';",
      "import { z } from 'zod';",
      'export const y = [createHmac, z];',
    ],
  },
  // The schema export script writes files: protocol's no-I/O rule is for its source, not its scripts.
  {
    path: 'protocol/scripts/ok.ts',
    lines: ["import { writeFile } from 'node:fs/promises';", 'export const y = writeFile;'],
  },
  // Tests see everything.
  {
    path: 'test/rig/ok.test.ts',
    lines: [
      "import { redactText } from '@rigmind/gateway/sanitize/redact';",
      "import { Store } from '../../rig/src/store/store.js';",
      'export const y = [redactText, Store];',
    ],
  },
];

describe('biome.jsonc enforces the import boundaries', () => {
  for (const { path, lines, line, says } of forbidden) {
    const spec = /from '([^']+)'|import\('([^']+)'\)/.exec(lines.join('\n'));
    it(`fails ${path} importing ${spec?.[1] ?? spec?.[2]}`, async () => {
      const run = await lint(path, lines);
      expect(run.found).toEqual([[RULE, line, expect.stringContaining(says)]]);
      expect(run.exitCode).not.toBe(0);
    });
  }

  for (const { path, lines } of allowed) {
    it(`passes ${path}`, async () => {
      const run = await lint(path, lines);
      expect(run.found).toEqual([]);
      expect(run.exitCode).toBe(0);
    });
  }
});
