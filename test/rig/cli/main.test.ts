import { describe, expect, it } from 'vitest';
import { buildProgram, subcommandOf } from '../../../rig/src/cli/main.js';

describe('the CLI loads what a command needs', () => {
  it('finds the subcommand after the global --home option', () => {
    expect(subcommandOf(['node', 'rigmind', '--home', '/tmp/rig', 'worker', '--id', 'w1'])).toBe('worker');
    expect(subcommandOf(['node', 'rigmind', 'submit', 'plan.yaml'])).toBe('submit');
    expect(subcommandOf(['node', 'rigmind', '--help'])).toBeUndefined();
  });

  it('builds every command for help, and the worker alone for a worker process', async () => {
    const all = await buildProgram();
    expect(all.commands.map((command) => command.name())).toEqual([
      'brain',
      'worker',
      'up',
      'submit',
      'ask',
      'status',
      'cancel',
      'retry',
      'logs',
      'escalate',
      'simulate',
    ]);
    const worker = await buildProgram('worker');
    expect(worker.commands.map((command) => command.name())).toEqual(['worker']);
  });
});
