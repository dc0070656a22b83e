import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockInstall, readLockPackages } from '../helpers/lockfile-install.js';

const root = new URL('../../gateway/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('gateway package fits a Pi on its own', () => {
  const bin = readdirSync(join(root, 'bin')).filter((name) => name.endsWith('.js'));
  const files = [...sources(join(root, 'src')), ...bin.map((name) => join(root, 'bin', name))];
  const pattern = /^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm;
  const specifiers = files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => ({ file, spec: m[1] ?? m[2] ?? '' })),
  );

  it('finds the imports it checks', () => {
    expect(specifiers.map(({ spec }) => spec)).toEqual(
      expect.arrayContaining([
        'hono',
        '@anthropic-ai/sdk',
        'better-sqlite3',
        '@rigmind/protocol/choose-entry',
        'tsx/esm/api',
      ]),
    );
  });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('declares every package it imports', () => {
    const external = specifiers.filter(({ spec }) => !spec.startsWith('.') && !spec.startsWith('node:'));
    const names = new Set(
      external.map(({ spec }) =>
        spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? ''),
      ),
    );
    // tsx runs the TypeScript source in development; it is a dependency of the workspace root.
    names.delete('tsx');
    for (const name of names) expect(pkg.dependencies, `gateway imports ${name}`).toHaveProperty(name);
  });

  it("installs, on a Pi, only its runtime dependencies: none of the root's dev tools (from the lockfile)", () => {
    // What `npm ci --omit=dev --workspace gateway` installs (see lockInstall), and nothing it needs is missing.
    const lock = readLockPackages(join(root, '../package-lock.json'));
    const { installed, names, missing } = lockInstall(lock, 'gateway');
    expect(missing).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['hono', '@anthropic-ai/sdk', 'better-sqlite3', 'pino', 'zod']));
    for (const tool of [
      'vitest',
      'vite',
      'typescript',
      'esbuild',
      'tsx',
      'fast-check',
      'rollup',
      '@types/node',
      'zeromq',
    ]) {
      expect(names, `a Pi install would bring ${tool}`).not.toContain(tool);
    }
    // And npm agrees: nothing the gateway needs is marked as a dev-only package.
    for (const path of installed) expect(lock[path]?.dev, path).not.toBe(true);
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
