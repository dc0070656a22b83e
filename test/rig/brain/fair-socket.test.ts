import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Message, Parsed } from '@rigmind/protocol';
import { DealerSocket } from '../../../rig/src/transport/zmq.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();
const MiB = 1024 * 1024;

/** Replies on a raw socket, collected until `count` arrived (bounded wait). */
async function collect(inbox: AsyncGenerator<Parsed<Message>>, count: number, timeoutMs: number): Promise<Message[]> {
  const replies: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (replies.length < count && Date.now() < deadline) {
    const next = await Promise.race([
      inbox.next(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), deadline - Date.now())),
    ]);
    if (next === undefined || next.done === true) break;
    if (next.value.ok) replies.push(next.value.value);
  }
  return replies;
}

describe('one client cannot starve the others on the brain socket', () => {
  it('refuses 30 frames of 1 MiB of nesting while a real worker keeps its brain', async () => {
    // Liveness 3 x 200 ms: a brain stalled for 600 ms in a row loses its worker. Each frame is refused after a scan
    // that stops at byte ~60, so the stall per frame no longer grows with the frame.
    const rig = track(new RigHarness({ heartbeatMs: 200 }));
    await rig.startBrain();
    await rig.startWorker('w1');
    const hostile = new DealerSocket({ maxMessageBytes: 4 * MiB }, () => undefined);
    track({ close: () => hostile.close() });
    hostile.connect(rig.router);
    const inbox = hostile.messages({});
    const frames = Array.from(
      { length: 30 },
      (_, i) => `{"v":1,"msg_id":"h-${i}","kind":"status_request","x":${'['.repeat(MiB)}`,
    );
    for (const frame of frames) hostile.sendRaw([frame]);
    const replies = await collect(inbox, frames.length, 20_000);
    expect(replies).toHaveLength(30);
    for (const [i, reply] of replies.entries())
      expect(reply).toMatchObject({ kind: 'refused', code: 'too_deep', re: `h-${i}` });
    // Three more heartbeat windows: a worker that lost the brain during the flood would have re-registered by now.
    await new Promise((resolve) => setTimeout(resolve, 200 * 3 * 3));
    const events = rig.readDb(
      (db) => db.prepare("SELECT event_type FROM events WHERE event_type LIKE 'worker_%'").pluck().all() as string[],
    );
    expect(events).toEqual(['worker_registered']);
    const logDir = join(rig.home, 'logs');
    const logs = readdirSync(logDir)
      .filter((file) => file.endsWith('.log'))
      .map((file) => readFileSync(join(logDir, file), 'utf8'))
      .join('\n');
    expect(logs).not.toContain('brain silent');
    expect((await rig.workers()).map((worker) => [worker.id, worker.alive])).toEqual([['w1', true]]);
  });
});
