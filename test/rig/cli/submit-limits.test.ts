import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

describe('rigmind submit and the frame limit', () => {
  // A brain, then `rigmind submit` twice: three processes, each up to PROCESS_START_MS on a saturated machine.
  it("uploads a plan over the brain's max_frame_bytes in chunks under it, and refuses a task too big for any " +
    'frame before sending it, naming the limit', { timeout: boundFor(3) }, async () => {
    // 2.5 MB against a 1 MiB limit: over twice the limit, which ZeroMQ drops without a word. Sent whole, it was
    // refused here with frame_too_large; in chunks, each under the limit, it is accepted.
    const rig = track(new RigHarness({ extraConfig: { max_frame_bytes: 1024 * 1024 } }));
    await rig.startBrain();
    const path = join(rig.home, 'big.json');
    const tasks = Array.from({ length: 50_000 }, (_, i) => ({ name: `t${i}`, command: `echo shard number ${i}` }));
    writeFileSync(path, JSON.stringify({ plan: 'big', tasks }));
    const accepted = await rig.run(['submit', path]);
    expect(accepted.exitCode, accepted.stderr).toBe(0);
    expect(accepted.stdout).toMatch(/^accepted big-[0-9a-f]{6} \(50000 tasks\)/);
    const logDir = join(rig.home, 'logs');
    const log = readdirSync(logDir)
      .filter((file) => file.endsWith('.log'))
      .map((file) => readFileSync(join(logDir, file), 'utf8'))
      .join('\n');
    expect(log).not.toContain('refused frame');

    // One task alone over the limit: no chunk can carry it.
    const hugePath = join(rig.home, 'huge.json');
    writeFileSync(
      hugePath,
      JSON.stringify({ plan: 'huge', tasks: [{ name: 'h', command: `echo ${'x'.repeat(1_100_000)}` }] }),
    );
    const refused = await rig.run(['submit', hugePath]);
    expect(refused.stderr).toContain('frame_too_large');
    expect(refused.stderr).toContain("over the brain's limit of 1048576 bytes (max_frame_bytes in config.json)");
    expect(refused.exitCode).toBe(1);
  });
});
