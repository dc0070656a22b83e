import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockInstall, readLockPackages } from '../helpers/lockfile-install.js';

// The rig runs air-gapped: it shares rules with the gateway through @rigmind/protocol, never by importing the
// gateway, whose HTTP server and Claude SDK have no business on a GPU box. And a worker runs without a brain in its
// process, so nothing it loads may come from the brain.
const root = new URL('../../rig/', import.meta.url).pathname;

// Source and plain JavaScript (rig/bin), not declarations.
const SOURCE = /(?<!\.d)\.(ts|js)$/;
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : SOURCE.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

const IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm;
function specifiersOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '');
}

// Relative imports name the compiled `.js`; the source beside it is `.ts`.
function resolveRelative(from: string, spec: string): string {
  const path = resolve(dirname(from), spec);
  const ts = path.replace(/\.js$/, '.ts');
  return existsSync(ts) ? ts : path;
}

/** Every rig source file `entries` load, following relative imports (type-only ones too). */
function reachable(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const spec of specifiersOf(file)) if (spec.startsWith('.')) queue.push(resolveRelative(file, spec));
  }
  return seen;
}

describe('the rig stands alone', () => {
  it('declares no dependency on the gateway', () => {
    type Manifest = Record<string, Record<string, string> | undefined>;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      expect(pkg[field] ?? {}, field).not.toHaveProperty('@rigmind/gateway');
    }
    const tsconfig = readFileSync(join(root, 'tsconfig.json'), 'utf8');
    expect(tsconfig, 'a project reference to the gateway').not.toMatch(/\.\.\/gateway/);
  });

  it('imports nothing from the gateway', () => {
    const files = [...sources(join(root, 'src')), ...sources(join(root, 'bin'))];
    expect(files.length).toBeGreaterThan(100);
    const gateway = /^@rigmind\/gateway(\/|$)|(^|\/)gateway\/src\//;
    const offending = files.flatMap((file) =>
      specifiersOf(file)
        .filter((spec) => gateway.test(spec))
        .map((spec) => `${relative(root, file)}: ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("installs none of the gateway's HTTP and Claude packages (from the lockfile)", () => {
    const { names, missing } = lockInstall(readLockPackages(join(root, '../package-lock.json')), 'rig');
    expect(missing).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['@rigmind/protocol', 'zeromq', 'better-sqlite3', 'zod']));
    for (const name of ['@rigmind/gateway', 'hono', '@hono/node-server', 'bottleneck', '@anthropic-ai/sdk']) {
      expect(names, `a rig install would bring ${name}`).not.toContain(name);
    }
  });

  it('runs a worker on nothing of the brain: no file the worker loads, directly or not, is under rig/src/brain', () => {
    const worker = sources(join(root, 'src/worker'));
    expect(worker.length).toBeGreaterThan(5);
    const loaded = reachable(worker);
    // The walk does follow imports out of the worker folder (to gpu/, ollama/, transport/).
    expect([...loaded].some((file) => file.includes('/src/transport/'))).toBe(true);
    const brain = [...loaded].filter((file) => file.includes('/src/brain/')).map((file) => relative(root, file));
    expect(brain).toEqual([]);
  });
});
