import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFakeGpus } from '../../fixtures/nvidia-smi/fake-gpus.js';
import { boundFor } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

function planFile(name: string, text: string): string {
  const dir = join(rig.home, 'plans');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('rigmind CLI', () => {
  it('refuses a broken plan.md before sending it, naming the task and the line', { timeout: boundFor(1) }, async () => {
    const path = planFile(
      'plan.md',
      [
        '---',
        'plan: broken',
        '---',
        '',
        '# A plan',
        '',
        '## first',
        '',
        '```yaml',
        'command: echo hi',
        '```',
        '',
        '## second',
        '',
        '```yaml',
        'command: echo there',
        'depends_on: [frist]',
        'priority: 12',
        '```',
        '',
      ].join('\n'),
    );
    const result = await rig.run(['submit', path]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`${path}:17`);
    expect(result.stderr).toContain("task 'second'");
    expect(result.stderr).toMatch(/unknown dependency 'frist'/);
    expect(result.stderr).toMatch(/priority/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it(
    'says clearly when no brain is running',
    async () => {
      const path = planFile('ok.yaml', 'plan: ok\ntasks:\n  - name: a\n    command: "true"\n');
      const result = await rig.run(['submit', path]);
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(/no answer from a brain at ipc:.*is it running\?/);
      // One process, then the client's 5 s wait for an answer (BrainClient's default) before it says so.
    },
    boundFor(1, 5_000),
  );

  // Bounds per process started (brain, worker, eight commands): the machine may be saturated.
  it('submit --wait --json: exit 0 only if every task completed, status lists every task', {
    timeout: boundFor(10),
  }, async () => {
    await rig.startBrain();
    await rig.startWorker('w1');
    const good = planFile(
      'good.yaml',
      'plan: good\ntasks:\n  - name: a\n    command: echo one; echo two\n' +
        '  - name: b\n    depends_on: [a]\n    command: echo three\n',
    );
    const ok = await rig.run(['submit', good, '--wait', '--json']);
    expect(ok.exitCode).toBe(0);
    const doc = JSON.parse(ok.stdout) as { plan_id: string; state: string; tasks: Record<string, unknown>[] };
    expect(doc.state).toBe('completed');
    expect(doc.tasks.map((task) => task['name'])).toEqual(['a', 'b']);
    for (const key of ['name', 'status', 'attempts', 'worker_id', 'return_code', 'elapsed_seconds', 'cause'])
      expect(doc.tasks[0]).toHaveProperty(key);

    const status = await rig.run(['status', doc.plan_id, '--json']);
    expect(JSON.parse(status.stdout).plans[0].tasks[0]).toMatchObject({
      name: 'a',
      status: 'completed',
      worker_id: 'w1',
      return_code: 0,
    });
    const logs = await rig.run(['logs', `${doc.plan_id}.a`]);
    expect(logs.stdout).toContain('one\ntwo');
    // A task named within its plan, the documented form.
    const byName = await rig.run(['logs', doc.plan_id, 'a']);
    expect(byName).toMatchObject({ exitCode: 0 });
    expect(byName.stdout).toContain('one\ntwo');
    const unknown = await rig.run(['logs', doc.plan_id, 'nope', '--json']);
    expect(unknown.exitCode).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({
      error: { code: 'not_found', message: `not_found: no task '${doc.plan_id}.nope'`, exit: 1 },
    });

    const bad = planFile(
      'bad.yaml',
      'plan: bad\ndefaults:\n  max_retries: 0\ntasks:\n  - name: a\n    command: exit 3\n',
    );
    const failed = await rig.run(['submit', bad, '--wait']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/a\s+failed/);
    expect(failed.stderr).toMatch(/FAILED\s+a: exit code 3/);
  });

  it('gives a task its GPUs and CUDA libraries in the environment before it starts', {
    timeout: boundFor(4),
  }, async () => {
    const gpus = await makeFakeGpus();
    try {
      await rig.startBrain();
      await rig.startWorker('gpu2', ['--gpus', '2', '--ld-library-path', '/opt/cuda/lib64'], gpus.env);
      const path = planFile(
        'env.yaml',
        'plan: env\ntasks:\n  - name: show\n    task_class: script\n' +
          '    command: echo "cuda=$CUDA_VISIBLE_DEVICES ld=$LD_LIBRARY_PATH"\n',
      );
      const result = await rig.run(['submit', path, '--wait', '--json']);
      expect(result.exitCode).toBe(0);
      const planId = (JSON.parse(result.stdout) as { plan_id: string }).plan_id;
      const logs = await rig.run(['logs', `${planId}.show`]);
      expect(logs.stdout).toMatch(/cuda=2 ld=\/opt\/cuda\/lib64/);
    } finally {
      await gpus.remove();
    }
  });
});
