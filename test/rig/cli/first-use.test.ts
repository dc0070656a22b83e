import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor } from '../../helpers/process-start.js';
import { REPO, RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

describe('what a new user meets first', () => {
  it('--version prints the version of the rig package, exit 0', { timeout: boundFor(1) }, async () => {
    const rig = track(new RigHarness());
    const { version } = JSON.parse(readFileSync(join(REPO, 'rig/package.json'), 'utf8')) as { version: string };
    const result = await rig.run(['--version']);
    expect(result).toMatchObject({ exitCode: 0, stdout: version });
  });

  it('status on a home that does not exist says there is no rig there and creates nothing', {
    timeout: boundFor(1),
  }, async () => {
    const rig = track(new RigHarness());
    const missing = join(rig.home, 'no-such-home');
    // The harness passes its own --home first; the last one given counts, as a user's mistyped one would.
    const result = await rig.run(['--home', missing, 'status']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(
      `rigmind: no rig at ${missing} (start one there with 'rigmind --home ${missing} up', or give the right --home)`,
    );
    expect(existsSync(missing)).toBe(false);
  });

  it('with --json every error is one JSON document on stdout carrying its code and exit status', {
    timeout: boundFor(3, 5_000),
  }, async () => {
    const rig = track(new RigHarness());
    const usage = await rig.run(['status', '--json', '--bogus']);
    expect(usage.exitCode).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({
      error: { code: 'unknown_option', message: "unknown option '--bogus'", exit: 2 },
    });
    expect(usage.stderr).toBe('');
    const unreachable = await rig.run(['status', '--json']);
    expect(unreachable.exitCode).toBe(3);
    expect(JSON.parse(unreachable.stdout)).toMatchObject({ error: { code: 'brain_unreachable', exit: 3 } });
    const noRig = await rig.run(['--home', join(rig.home, 'nowhere'), 'cancel', 'p-1', '--json']);
    expect(JSON.parse(noRig.stdout)).toMatchObject({ error: { code: 'no_rig', exit: 2 } });
  });
});
