import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFile } from '../../../rig/src/log/log-file.js';

const RETRY_MS = 50;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LogFile', () => {
  it('a file the disk refuses (ENOSPC from /dev/full) costs one warning for many lines, and no crash', async () => {
    const warnings: string[] = [];
    const file = new LogFile('/dev/full', { warn: (line) => warnings.push(line), retryMs: RETRY_MS });
    // Lines over several retry periods: each retry meets ENOSPC again, still one warning.
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < 50; i += 1) file.write(`{"line":${i}}\n`);
      await settle(RETRY_MS * 2);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ENOSPC');
  });

  it('writes lines to its file, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rigmind-log-'));
    dirs.push(dir);
    const path = join(dir, 'brain.log');
    const file = new LogFile(path, { warn: () => undefined });
    for (let i = 0; i < 100; i += 1) file.write(`${i}\n`);
    await settle(RETRY_MS);
    expect(readFileSync(path, 'utf8')).toBe(Array.from({ length: 100 }, (_, i) => `${i}\n`).join(''));
  });
});
