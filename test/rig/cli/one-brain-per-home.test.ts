import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BrainClient } from '../../../rig/src/client/brain-client.js';
import { lockHome } from '../../../rig/src/store/home-lock.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { freePort } from '../../helpers/loopback.js';
import { boundFor } from '../../helpers/process-start.js';
import { alive, type CliProcess, RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

/** A TCP listener on a loopback port: the address someone else already holds. */
async function occupied(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A process's end, bounded: spawned through the harness (so cleanup stops it) rather than run, because before the
 * fixes these commands ran until a signal. The bound is only a failure detector, far above a start under load.
 */
async function exited(proc: CliProcess, what: string): Promise<Awaited<CliProcess>> {
  const ended = await Promise.race([proc, sleep(60_000).then(() => undefined)]);
  if (ended === undefined) throw new Error(`${what}: still running after 60 s`);
  return ended;
}

describe('one brain per home', () => {
  it('locks the home: a second lock on it is refused and names the holder, until the first is released', () => {
    const rig = track(new RigHarness());
    const first = lockHome(rig.home, 4242);
    expect(first.ok).toBe(true);
    const second = lockHome(rig.home);
    expect(second).toMatchObject({ ok: false, code: 'home_locked', pid: 4242 });
    if (first.ok) first.value.release();
    const third = lockHome(rig.home);
    expect(third.ok).toBe(true);
    if (third.ok) third.value.release();
  });

  // Three brains, one after another.
  it('a second brain on the same home exits 4 naming the first; a SIGKILLed brain leaves no stale lock', {
    timeout: boundFor(3),
  }, async () => {
    const rig = track(new RigHarness());
    const { proc: first } = await rig.startBrain();
    const second = await exited(rig.spawn(['brain']), 'a second brain on a locked home');
    expect(second.exitCode).toBe(4);
    expect(second.stderr.trim()).toBe(`rigmind: another brain (pid ${first.pid}) holds ${rig.home}`);
    expect(alive(first.pid as number)).toBe(true);

    first.kill('SIGKILL');
    await first;
    // The kernel dropped the dead brain's lock: the next brain comes up at once, with no cleanup in between.
    const { proc: next } = await rig.startBrain();
    expect(alive(next.pid as number)).toBe(true);
  });

  it('an address in use is one line and exit 4, no stack trace', { timeout: boundFor(1) }, async () => {
    const taken = track(await occupied());
    const pub = await freePort();
    const rig = track(
      new RigHarness({
        extraConfig: { brain: { router: `tcp://127.0.0.1:${taken.port}`, pub: `tcp://127.0.0.1:${pub}` } },
      }),
    );
    const result = await rig.run(['brain']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim().split('\n')).toEqual([
      `rigmind: address in use: tcp://127.0.0.1:${taken.port} ` +
        '(another process listens there; set brain.router and brain.pub in config.json)',
    ]);
  });

  // The owner's brain, then `up` and the brain it starts.
  it('up exits 4 when its brain dies, and never attaches workers to the brain that holds the address', {
    timeout: boundFor(3),
  }, async () => {
    const [router, pub] = [await freePort(), await freePort()];
    const brain = { router: `tcp://127.0.0.1:${router}`, pub: `tcp://127.0.0.1:${pub}` };
    const owner = track(new RigHarness({ extraConfig: { brain } }));
    owner.spawn(['brain']);
    const client = track(new BrainClient(brain.router));
    expect((await client.request('status_request', {}, 20_000)).ok).toBe(true);
    const other = track(new RigHarness({ extraConfig: { brain } }));
    // Before the fix this `up` served the other brain until a signal.
    const up = await exited(other.spawn(['up', '--workers', '2']), 'up whose brain could not bind');
    expect(up.exitCode).toBe(4);
    expect(up.stderr).toMatch(/address in use/);
    expect(up.stderr).toMatch(/rigmind: the brain exited \(exit 4\); stopping its workers/);
    const status = await client.request('status_request', {});
    expect(status.ok && status.value.kind === 'status_reply' ? status.value.workers : undefined).toEqual([]);
  });

  it('up exits 4 when its running brain is killed', { timeout: boundFor(6) }, async () => {
    const rig = track(new RigHarness());
    const up = rig.spawn(['up', '--workers', '2']);
    await rig.until(
      async () => (await rig.workers()).filter((worker) => worker.alive).length === 2,
      boundFor(4),
      'two workers',
    );
    const brainPid = Number(readFileSync(join(rig.home, 'run', 'brain.pid'), 'utf8'));
    process.kill(brainPid, 'SIGKILL');
    const ended = await exited(up, 'up whose brain was killed');
    expect(ended.exitCode).toBe(4);
    expect(ended.stderr).toMatch(/rigmind: the brain exited \(killed by SIGKILL\); stopping its workers/);
  });
});
