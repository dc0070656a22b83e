import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../gateway/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('gateway package fits a Pi on its own', () => {
  const files = [...sources(join(root, 'src')), join(root, 'bin/gateway.js')];
  const pattern = /^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm;
  const specifiers = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => ({ file, spec: m[1] ?? m[2] ?? '' })));

  it('finds the imports it checks', () => {
    expect(specifiers.map(({ spec }) => spec)).toEqual(expect.arrayContaining(['hono', '@anthropic-ai/sdk', 'better-sqlite3', '../src/cli/main.ts', 'tsx/esm/api']));
  });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('declares every package it imports', () => {
    const external = specifiers.filter(({ spec }) => !spec.startsWith('.') && !spec.startsWith('node:'));
    const names = new Set(external.map(({ spec }) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] ?? '')));
    // tsx runs the TypeScript source in development; it is a dependency of the workspace root.
    names.delete('tsx');
    for (const name of names) expect(pkg.dependencies, `gateway imports ${name}`).toHaveProperty(name);
  });

  it('installs, on a Pi, only its runtime dependencies: none of the root\'s dev tools (from the lockfile)', () => {
    // What `npm ci --omit=dev --workspace gateway` installs: the gateway's dependencies, resolved the way node does
    // (nearest node_modules first), with their dependencies, optional and peer ones, transitively.
    const lock = JSON.parse(readFileSync(join(root, '../package-lock.json'), 'utf8')) as {
      packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; link?: boolean; resolved?: string; dev?: boolean }>;
    };
    const installed = new Set<string>();
    const visit = (at: string): void => {
      const entry = lock.packages[at];
      if (entry === undefined || installed.has(at)) return;
      installed.add(at);
      if (entry.link === true && entry.resolved !== undefined) return visit(entry.resolved);
      const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => entry.peerDependenciesMeta?.[name]?.optional !== true);
      for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...peers]) {
        let dir = at;
        let found: string | undefined;
        for (;;) {
          const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
          if (lock.packages[candidate] !== undefined) {
            found = candidate;
            break;
          }
          if (dir === '') break;
          const cut = dir.lastIndexOf('/node_modules/');
          dir = cut < 0 ? '' : dir.slice(0, cut);
        }
        if (found !== undefined) visit(found);
        else expect(entry.optionalDependencies ?? {}, `${at} needs ${name}, which the lockfile lacks`).toHaveProperty(name);
      }
    };
    visit('gateway');
    const names = [...installed].map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length || 0));
    expect(names).toEqual(expect.arrayContaining(['hono', '@anthropic-ai/sdk', 'better-sqlite3', 'pino', 'zod']));
    for (const tool of ['vitest', 'vite', 'typescript', 'esbuild', 'tsx', 'fast-check', 'rollup', '@types/node', 'zeromq']) {
      expect(names, `a Pi install would bring ${tool}`).not.toContain(tool);
    }
    // And npm agrees: nothing the gateway needs is marked as a dev-only package.
    for (const path of installed) expect(lock.packages[path]?.dev, path).not.toBe(true);
  });

  it('runs without tsx when built: bin/gateway.js imports it only for the source', () => {
    const bin = readFileSync(join(root, 'bin/gateway.js'), 'utf8');
    expect(bin).not.toMatch(/^import .*'tsx/m);
    expect(bin).toContain("import('tsx/esm/api')");
  });

  it('imports nothing from the rig and no ZeroMQ', () => {
    for (const { file, spec } of specifiers) {
      expect(spec, file).not.toMatch(/zeromq|@rigmind\/rig|\/rig\//);
    }
  });
});
