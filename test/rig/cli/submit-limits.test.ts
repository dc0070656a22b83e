import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

describe('rigmind submit and the frame limit', () => {
  // A brain, then `rigmind submit`: two processes, each up to PROCESS_START_MS on a saturated machine.
  it("refuses a plan over the brain's max_frame_bytes before sending it, naming the limit", {
    timeout: boundFor(2),
  }, async () => {
    // 2.5 MB against a 1 MiB limit: over twice the limit, which ZeroMQ drops without a word, so that a client that
    // sent it anyway would hear nothing and report brain_unreachable after its timeout.
    const rig = track(new RigHarness({ extraConfig: { max_frame_bytes: 1024 * 1024 } }));
    await rig.startBrain();
    const path = join(rig.home, 'big.json');
    const tasks = Array.from({ length: 50_000 }, (_, i) => ({ name: `t${i}`, command: `echo shard number ${i}` }));
    writeFileSync(path, JSON.stringify({ plan: 'big', tasks }));
    const result = await rig.run(['submit', path]);
    expect(result.stderr).toContain('frame_too_large');
    expect(result.stderr).toContain("over the brain's limit of 1048576 bytes (max_frame_bytes in config.json)");
    expect(result.exitCode).toBe(1);
  });
});
