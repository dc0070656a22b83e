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
    expect(specifiers.map(({ spec }) => spec)).toEqual(expect.arrayContaining(['hono', '@anthropic-ai/sdk', 'better-sqlite3', '../src/cli/main.ts']));
  });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('declares every package it imports', () => {
    const external = specifiers.filter(({ spec }) => !spec.startsWith('.') && !spec.startsWith('node:'));
    const names = new Set(external.map(({ spec }) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0] ?? '')));
    // tsx runs the TypeScript source in development; it is a dependency of the workspace root.
    names.delete('tsx');
    for (const name of names) expect(pkg.dependencies, `gateway imports ${name}`).toHaveProperty(name);
  });

  it('imports nothing from the rig and no ZeroMQ', () => {
    for (const { file, spec } of specifiers) {
      expect(spec, file).not.toMatch(/zeromq|@rigmind\/rig|\/rig\//);
    }
  });
});
