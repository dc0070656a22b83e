import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlanFile } from '../../../rig/src/plan/load-plan-file.js';
import { resolvePlan } from '../../../rig/src/plan/resolve-plan.js';

const examples = new URL('../../../examples/plans/', import.meta.url);

describe('loadPlanFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rigmind-plan-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks the format from the extension', async () => {
    const task = { name: 'a', command: 'echo a' };
    await writeFile(join(dir, 'p.json'), JSON.stringify({ plan: 'j', tasks: [task] }));
    await writeFile(join(dir, 'p.yml'), 'plan: y\ntasks:\n  - name: a\n    command: echo a\n');
    await writeFile(join(dir, 'night.MD'), '## a\n```yaml\ncommand: echo a\n```\n');
    const names = await Promise.all(
      ['p.json', 'p.yml', 'night.MD'].map(async (file) => {
        const result = await loadPlanFile(join(dir, file));
        return result.ok ? result.value.plan.plan : result.issues;
      }),
    );
    expect(names).toEqual(['j', 'y', 'night']);
  });

  it('refuses an unknown extension and an unreadable file, naming the path', async () => {
    const odd = await loadPlanFile(join(dir, 'plan.toml'));
    expect(odd.ok === false && odd.issues[0]).toMatchObject({ code: 'unknown_format', file: join(dir, 'plan.toml') });
    const gone = await loadPlanFile(join(dir, 'missing.yaml'));
    expect(gone.ok === false && gone.issues[0]).toMatchObject({
      code: 'unreadable_file',
      file: join(dir, 'missing.yaml'),
    });
    expect(gone.ok === false && gone.issues[0]?.message).toContain('ENOENT');
  });

  it('refuses a file that is not UTF-8, naming line and byte offset, rather than decoding to U+FFFD', async () => {
    const before = Buffer.from('plan: latin\ntasks:\n  - name: a\n    command: echo caf');
    const file = join(dir, 'latin1.yaml');
    await writeFile(file, Buffer.concat([before, Buffer.from([0xe9]), Buffer.from('\n')]));
    const loaded = await loadPlanFile(file);
    expect(loaded.ok === false && loaded.issues).toEqual([
      expect.objectContaining({ code: 'invalid_utf8', line: 4, file }),
    ]);
    const message = loaded.ok ? '' : (loaded.issues[0]?.message ?? '');
    expect(message).toContain(`byte offset ${before.length}`);
    expect(message).toContain('byte 22 of line 4');
    // Valid multi-byte text is untouched.
    await writeFile(file, 'plan: café\ntasks:\n  - name: a\n    command: echo 漢字 😀\n');
    const good = await loadPlanFile(file);
    expect(good.ok && good.value.plan.tasks[0]?.command).toBe('echo 漢字 😀');
  });

  it('loads and resolves every example plan', async () => {
    const files = (await readdir(examples)).filter((file) => /\.(json|ya?ml|md)$/.test(file));
    expect(files.sort()).toEqual(['autofix.md', 'demo.md', 'diamond.yaml', 'inputs.yaml', 'video-pipeline-12.json']);
    for (const file of files) {
      const path = new URL(file, examples).pathname;
      const loaded = await loadPlanFile(path);
      if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.issues)}`);
      const resolved = resolvePlan(loaded.value.plan, { lines: loaded.value.lines, file });
      expect(resolved.ok, file).toBe(true);
    }
  });

  it('shows the auto-fix on every task of autofix.md', async () => {
    const loaded = await loadPlanFile(new URL('autofix.md', examples).pathname);
    const resolved = loaded.ok ? resolvePlan(loaded.value.plan) : undefined;
    expect(resolved?.ok && resolved.value.tasks.map((task) => [task.name, task.task_class])).toEqual([
      ['transcribe', 'script'],
      ['embed_chunks', 'script'],
      ['draft_title', 'llm'],
      ['summarize', 'llm'],
      ['archive', 'cpu'],
    ]);
    expect(resolved?.ok && resolved.value.fixes).toHaveLength(5);
  });
});
