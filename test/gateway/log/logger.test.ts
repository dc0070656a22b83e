import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// A child process logs through the default (asynchronous) destination and ends at once, so only pino's
// flush on exit can get the lines out.
function runChild(ending: string): { lines: string[]; status: number | null } {
  const script = `
    import { createGatewayLogger } from '@rigmind/gateway';
    const logger = createGatewayLogger();
    for (let i = 0; i < 2000; i += 1) logger.info({ i, note: 'password=hunter22' }, 'line');
    ${ending}
  `;
  const child = spawnSync(process.execPath, ['-C', 'source', '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: process.cwd(),
  });
  return { lines: child.stderr.split('\n').filter((line) => line.startsWith('{')), status: child.status };
}

describe('gateway logger', () => {
  it('writes every line, redacted, when the process exits right after logging', () => {
    const { lines, status } = runChild('process.exit(0);');
    expect(status).toBe(0);
    expect(lines).toHaveLength(2000);
    expect((JSON.parse(lines[1999] as string) as { i: number }).i).toBe(1999);
    expect(lines.join('\n')).not.toContain('hunter22');
  });

  it('writes every line when the process dies of an uncaught error', () => {
    const { lines, status } = runChild("throw new Error('boom');");
    expect(status).not.toBe(0);
    expect(lines).toHaveLength(2000);
  });
});
