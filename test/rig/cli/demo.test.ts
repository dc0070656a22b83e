import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, NODE_ARGS, REPO } from '../../helpers/rig-harness.js';

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `npm start` as a user runs it: `up --demo` with no --home, its scratch homes under `tmp` (TMPDIR). */
function demo(tmp: string) {
  const { RIGMIND_HOME: _home, ...inherited } = process.env;
  const env = { ...inherited, TMPDIR: tmp, RIGMIND_LOG_LEVEL: 'warn' };
  // A liveness bound only (execa kills the demo past it): the demo's own plan takes seconds.
  return execa(process.execPath, [...NODE_ARGS, CLI, 'up', '--demo'], {
    cwd: REPO,
    reject: false,
    env,
    extendEnv: false,
    timeout: 180_000,
  });
}

describe('npm start (rigmind up --demo)', () => {
  it('two demos at once both complete, each in a fresh scratch home of its own', { timeout: 200_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'rigmind-demo-test-'));
    scratch.push(tmp);
    const [first, second] = await Promise.all([demo(tmp), demo(tmp)]);
    for (const run of [first, second]) {
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toMatch(/demo completed: 8\/8 tasks completed/);
      // The small ask: on the stand-in (this machine has no Ollama), labelled so, with the draft's repair shown.
      expect(run.stdout).toContain('(SIMULATED planning model: no Ollama at');
      expect(run.stdout).toContain("draft refused: plan.tasks[1].depends_on[0]: unknown dependency 'transcibe'");
      expect(run.stdout).toMatch(/simulated makespan: \d+(\.\d+)? s on seed-rig-5x-gtx1060/);
      expect(run.stdout).toContain('ask: dry run, nothing submitted');
      expect(run.exitCode).toBe(0);
    }
    const homes = readdirSync(tmp).filter((name) => name.startsWith('rigmind-demo-'));
    expect(homes).toHaveLength(2);
    for (const home of homes)
      expect(first.stdout.includes(join(tmp, home)) || second.stdout.includes(join(tmp, home))).toBe(true);
  });
});
