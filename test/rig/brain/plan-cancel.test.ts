import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Message, MessageOf, Plan } from '@rigmind/protocol';
import type { ClientResult } from '../../../rig/src/client/brain-client.js';
import { submitPlan } from '../../../rig/src/client/upload-plan.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { PROCESS_START_MS } from '../../helpers/process-start.js';
import { RigHarness } from '../../helpers/rig-harness.js';

const track = closesAfterEach();

/** A chain whose head is a GPU script: with no worker for it, nothing of it runs. */
function chain(n: number): Plan {
  return {
    plan: 'big',
    tasks: Array.from({ length: n }, (_, i) => ({
      name: `shard-${i}`,
      command: `python3 scripts/step.py --shard ${i}`,
      ...(i === 0 ? { task_class: 'script' as const } : { depends_on: [`shard-${i - 1}`] }),
    })),
  };
}

function answer(result: ClientResult): Message {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
}

async function accept(rig: RigHarness, plan: Plan): Promise<string> {
  return (answer(await submitPlan(rig.client, plan, { timeoutMs: 120_000 })) as MessageOf<'plan_accepted'>).plan_id;
}

const tally = (rig: RigHarness, planId: string) =>
  rig.readDb((db) => ({
    live: db
      .prepare("SELECT count(*) FROM tasks WHERE plan_id = ? AND status NOT IN ('completed','failed','canceled')")
      .pluck()
      .get(planId),
    canceled: db.prepare("SELECT count(*) FROM tasks WHERE plan_id = ? AND status = 'canceled'").pluck().get(planId),
    state: db.prepare('SELECT state FROM plans WHERE plan_id = ?').pluck().get(planId),
    marks: db.prepare("SELECT count(*) FROM meta WHERE key LIKE 'cancel:%' OR key LIKE 'intake:%'").pluck().get(),
  }));

describe('canceling a big plan', () => {
  it('goes in slices, serving requests that came after it, and answers every cancel once all is on disk', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 1_000 }));
    await rig.startBrain();
    const planId = await accept(rig, chain(20_000));
    // Pipelined on one connection, whose frames the brain takes in order. In one transaction, the cancel was
    // answered before the status request behind it; in slices, the status request is served between them.
    const order: string[] = [];
    const note = (label: string, request: Promise<ClientResult>) =>
      request.then((result) => {
        order.push(`${label}:${answer(result).kind}`);
        return answer(result);
      });
    const first = note('cancel', rig.client.request('cancel_request', { target: planId }, 120_000));
    const status = note('status', rig.client.request('status_request', { plan_id: planId }, 120_000));
    const second = note('cancel again', rig.client.request('cancel_request', { target: planId }, 120_000));
    const [ack, , again] = await Promise.all([first, status, second]);
    expect(order).toEqual(['status:status_reply', 'cancel:ack', 'cancel again:ack']);
    // Both answered once the last slice committed, with the same tasks.
    expect((ack as MessageOf<'ack'>).detail).toBe('canceled 20000 task(s)');
    expect((again as MessageOf<'ack'>).affected).toHaveLength(20_000);
    expect(tally(rig, planId)).toEqual({ live: 0, canceled: 20_000, state: 'canceled', marks: 0 });
  }, 180_000);

  it('is finished by the next brain when the brain dies part-way through', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 1_000 }));
    const { proc } = await rig.startBrain();
    const planId = await accept(rig, chain(40_000));
    // Never answered (the brain dies first): not awaited, so the test does not wait out its timeout.
    void rig.client.request('cancel_request', { target: planId }, 60_000);
    await rig.until(
      () => {
        const now = tally(rig, planId);
        return (now.canceled as number) > 0 && (now.live as number) > 0;
      },
      120_000,
      'the plan part-canceled',
    );
    proc.kill('SIGKILL');
    await proc.catch(() => undefined);
    await rig.startBrain();
    expect(tally(rig, planId)).toEqual({ live: 0, canceled: 40_000, state: 'canceled', marks: 0 });
    const dir = join(rig.home, 'logs');
    const log = () =>
      readdirSync(dir)
        .filter((file) => file.endsWith('.log'))
        .map((file) => readFileSync(join(dir, file), 'utf8'))
        .join('\n');
    // The log is written asynchronously: on a saturated machine the line may land after the brain first answers.
    const line = 'finished canceling plans a stopped brain was canceling';
    await rig.until(() => log().includes(line), PROCESS_START_MS, 'the log line').catch(() => undefined);
    expect(log()).toContain(line);
  }, 300_000);

  it('of a plan still being stored: the cancel waits for the store, then cancels it before any task runs; ' +
    'meanwhile the plan is not listed', async () => {
    const rig = track(new RigHarness({ heartbeatMs: 1_000 }));
    await rig.startBrain();
    await rig.startWorker('w1', ['--classes', 'cpu']);
    // Independent cpu tasks: each one queued is one the worker would take at once.
    const plan: Plan = {
      plan: 'wide',
      tasks: Array.from({ length: 100_000 }, (_, i) => ({
        name: `t${i}`,
        command: 'true',
        task_class: 'cpu' as const,
      })),
    };
    const order: string[] = [];
    const submitted = submitPlan(rig.client, plan, { timeoutMs: 120_000 }).then((result) => {
      order.push(answer(result).kind);
      return answer(result) as MessageOf<'plan_accepted'>;
    });
    let planId: string | undefined;
    await rig.until(
      () => {
        planId = rig.readDb(
          (db) =>
            db.prepare("SELECT substr(key, 8) FROM meta WHERE key LIKE 'intake:%'").pluck().get() as string | undefined,
        );
        return planId !== undefined;
      },
      120_000,
      'the plan being stored in slices',
    );
    const target = planId as string;
    // All three at once, while the plan's slices are being stored.
    const [list, one, cancel] = await Promise.all([
      rig.client.request('status_request', {}, 30_000),
      rig.client.request('status_request', { plan_id: target }, 30_000),
      rig.client.request('cancel_request', { target }, 120_000).then((result) => {
        order.push(answer(result).kind);
        return result;
      }),
    ]);
    expect((answer(list) as MessageOf<'status_reply'>).plans.map((p) => p.plan_id)).not.toContain(target);
    expect(one.ok || one.code).toBe('plan_storing');
    expect((answer(cancel) as MessageOf<'ack'>).detail).toBe('canceled 100000 task(s)');
    const accepted = await submitted;
    expect(accepted.plan_id).toBe(target);
    expect(order).toEqual(['plan_accepted', 'ack']);
    expect(tally(rig, target)).toEqual({ live: 0, canceled: 100_000, state: 'canceled', marks: 0 });
    const attempts = rig.readDb((db) => db.prepare('SELECT count(*) FROM attempts').pluck().get());
    expect(attempts).toBe(0);
  }, 300_000);
});
