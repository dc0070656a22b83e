import { describe, expect, it } from 'vitest';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { boundFor } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';
import { submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();
/** A brain, two workers and `status`, one after another, plus the plan (bounded by its own wait). */
const TIMEOUT = boundFor(4, 30_000);

describe('lost leases have a cap of their own', () => {
  it(
    'a task that kills its worker every time fails after max_lost_leases, and says so with task_failed',
    async () => {
      const rig = track(new RigHarness({ heartbeatMs: 200, extraConfig: { max_lost_leases: 1 } }));
      await rig.startBrain();
      await Promise.all(['w1', 'w2'].map((id) => rig.startWorker(id)));
      // max_retries 5 would allow many failures: the cap that stops it is the one on lost leases.
      const killer = { name: 'kills_its_worker', command: 'kill -9 $PPID; sleep 5', max_retries: 5 };
      const planId = await submit(rig, { plan: 'killer', tasks: [killer] });
      const final = await rig.finished(planId, 30_000);
      expect(final.state).toBe('failed');
      // Both attempts lost their worker: status says so apart from the attempts, and `rigmind status PLAN` shows it.
      expect(final.tasks?.[0]).toMatchObject({ status: 'failed', attempts: 2, lost_leases: 2 });
      expect(final.tasks?.[0]?.cause).toContain('lost its worker 2 times; max_lost_leases is 1');
      const failedEvents = "SELECT json_extract(body, '$.cause') FROM events WHERE event_type = 'task_failed'";
      const failed = rig.readDb((db) => db.prepare(failedEvents).pluck().all());
      expect(failed).toEqual([final.tasks?.[0]?.cause]);
      const shown = await rig.run(['status', planId]);
      expect(shown.stdout).toMatch(/^ {2}kills_its_worker +failed +2 .*\[lost worker 2x\]/m);
    },
    TIMEOUT,
  );
});
