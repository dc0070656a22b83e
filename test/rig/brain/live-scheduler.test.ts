import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundFor } from '../../helpers/process-start.js';
import type { MessageOf, PlanTask } from '@rigmind/protocol';
import { REPO, RigHarness } from '../../helpers/rig-harness.js';

const PROFILE = `${REPO}/examples/rigs/rig-5x1060.json`;
/** Simulated cards at 1/100 of the profile's time: a 7B load (95 s) takes about a second. */
const SIM = ['--simulate', '--profile', PROFILE, '--time-scale', '0.01'];

let rig: RigHarness;
beforeEach(() => {
  rig = new RigHarness();
});
afterEach(async () => {
  await rig.cleanup();
});

async function submit(plan: string, tasks: readonly Partial<PlanTask>[]): Promise<string> {
  const submitted = await rig.client.request('submit_plan', { plan: { plan, tasks: tasks as PlanTask[] } });
  if (!submitted.ok) throw new Error(submitted.message);
  return (submitted.value as MessageOf<'plan_accepted'>).plan_id;
}

describe('the live swap-aware scheduler', () => {
  it('is the default: it loads models ahead of coming work as resource tasks the brain creates, in status and events', {
    timeout: boundFor(3, 60_000),
  }, async () => {
    await rig.startBrain(['--profile', PROFILE]);
    await rig.startWorker('g1', ['--gpus', '1', ...SIM]);
    await rig.startWorker('g2', ['--gpus', '2', ...SIM]);
    // While one card transcribes (200 s here, 2 s of wall time), the other should get the 7B ready for the segments.
    const planId = await submit('ahead', [
      {
        name: 'transcribe',
        task_class: 'script',
        model: 'whisper-small.en',
        command: 'python transcribe.py',
        estimate_s: 200,
      },
      ...[1, 2].map((n) => ({
        name: `segment_${n}`,
        type: 'llm' as const,
        model: 'qwen2.5:7b',
        prompt: `segment part ${n}`,
        estimate_s: 30,
        depends_on: ['transcribe'],
      })),
    ]);
    const final = await rig.finished(planId, 60_000);
    expect(final.state).toBe('completed');
    const resources = final.tasks?.filter((task) => task.task_class === 'resource') ?? [];
    expect(resources.length).toBeGreaterThan(0);
    for (const task of resources) {
      expect(task).toMatchObject({ priority: 10, source: 'brain', status: 'completed', simulated: true, attempts: 1 });
      expect(task.name).toMatch(/^(load_llm|unload_llm)\.gpu[12]\./);
    }
    const load = resources.find((task) => task.name.startsWith('load_llm.') && task.name.includes('qwen2.5:7b'));
    expect(load).toBeDefined();
    for (const task of final.tasks?.filter((t) => t.task_class !== 'resource') ?? [])
      expect(task).toMatchObject({ status: 'completed', attempts: 1 });
    // Ahead: the load was dispatched (and shown as dispatched, with what and why) before the transcript was done.
    const seqOf = (type: string, taskId: string | undefined) =>
      rig.readDb((db) =>
        db.prepare('SELECT min(seq) FROM events WHERE event_type = ? AND task_id = ?').pluck().get(type, taskId),
      ) as number;
    expect(seqOf('task_dispatched', load?.task_id)).toBeLessThan(seqOf('task_completed', `${planId}.transcribe`));
    const detail = rig.readDb((db) =>
      db
        .prepare(
          "SELECT json_extract(body, '$.detail') FROM events WHERE event_type = 'task_dispatched' AND task_id = ?",
        )
        .pluck()
        .get(load?.task_id),
    ) as string;
    expect(JSON.parse(detail)).toMatchObject({ resource: 'load_llm', model: 'qwen2.5:7b' });
    // Batching: no card loaded the 7B twice.
    const loads = rig.readDb((db) =>
      db
        .prepare(
          "SELECT json_extract(body, '$.gpu_id') FROM events WHERE event_type = 'model_loaded' AND " +
            "json_extract(body, '$.detail.model') = 'qwen2.5:7b'",
        )
        .pluck()
        .all(),
    ) as number[];
    expect(new Set(loads).size).toBe(loads.length);
  });

  it('preempts a long low-priority task for an urgent one: re-queued and counted, not failed', {
    timeout: boundFor(2, 110_000),
  }, async () => {
    await rig.startBrain(['--profile', PROFILE]);
    await rig.startWorker('g1', ['--gpus', '1', ...SIM]);
    // The brain expects 600 s of work (6 s here at 1/100): waiting for it costs more than the 1 s already done.
    const slow = await submit('slow', [
      {
        name: 'long_embed',
        task_class: 'script',
        model: 'all-mpnet-base-v2',
        command: 'python embed.py all',
        estimate_s: 600,
        priority: 2,
      },
    ]);
    await rig.until(
      async () => (await rig.status(slow)).tasks?.[0]?.status === 'running',
      20_000,
      'the long task running',
    );
    const urgent = await submit('urgent', [
      { name: 'answer_now', type: 'llm', model: 'qwen2.5:7b', prompt: 'now', estimate_s: 20, priority: 10 },
    ]);
    const done = await rig.finished(urgent, 30_000);
    expect(done.state).toBe('completed');
    const slowFinal = await rig.finished(slow, 60_000);
    expect(slowFinal.state).toBe('completed');
    const long = slowFinal.tasks?.find((task) => task.name === 'long_embed');
    expect(long).toMatchObject({ status: 'completed', preemptions: 1, attempts: 2 });
    const retries = rig.readDb((db) =>
      db.prepare("SELECT retry_count FROM tasks WHERE name = 'long_embed'").pluck().get(),
    ) as number;
    expect(retries).toBe(0);
    const events = rig.readDb((db) =>
      db.prepare("SELECT task_id FROM events WHERE event_type = 'task_preempted'").pluck().all(),
    ) as string[];
    expect(events).toEqual([long?.task_id]);
    const first = rig.readDb((db) =>
      db.prepare('SELECT outcome, error_snippet FROM attempts WHERE task_id = ? AND attempt = 1').get(long?.task_id),
    ) as { outcome: string; error_snippet: string };
    expect(first).toEqual({ outcome: 'canceled', error_snippet: 'preempted for urgent work' });
  });

  it("lends an idle brain's cards to worker scripts, one at a time, and takes them back ahead of the brain task", {
    timeout: boundFor(4, 60_000),
  }, async () => {
    await rig.startBrain(['--profile', PROFILE, '--time-scale', '0.01']);
    await rig.startWorker('brain', [
      '--gpus',
      '0,3',
      '--classes',
      'script,llm',
      '--executor',
      'brain',
      '--model',
      'qwen2.5:14b',
      ...SIM,
    ]);
    await rig.startWorker('g1', ['--gpus', '1', ...SIM]);
    await rig.startWorker('g2', ['--gpus', '2', ...SIM]);
    // Transcripts (100 s each, 1 s here), an index over them (400 s), then the brain's summary on its 14B (135 s to
    // load).
    const transcripts = [1, 2, 3, 4, 5, 6].map((n) => `transcribe_${n}`);
    const planId = await submit('lend', [
      ...transcripts.map((name) => ({
        name,
        task_class: 'script' as const,
        model: 'whisper-small.en',
        command: `python transcribe.py ${name}`,
        estimate_s: 100,
      })),
      {
        name: 'index',
        task_class: 'script',
        model: 'all-mpnet-base-v2',
        command: 'python index.py',
        estimate_s: 400,
        depends_on: transcripts,
      },
      { name: 'summary', type: 'llm', executor: 'brain', prompt: 'summarize', estimate_s: 30, depends_on: ['index'] },
    ]);
    const final = await rig.finished(planId, 60_000);
    expect(final.state).toBe('completed');
    const byName = new Map(final.tasks?.map((task) => [task.name, task]));
    expect(byName.get('summary')).toMatchObject({ status: 'completed', worker_id: 'brain', attempts: 1 });
    type Dispatch = { task_id: string; worker: string; gpus: string };
    const dispatches = rig.readDb((db) =>
      db
        .prepare(
          "SELECT task_id, json_extract(body, '$.worker_id') AS worker, json_extract(body, '$.detail.gpus') AS gpus " +
            "FROM events WHERE event_type = 'task_dispatched' ORDER BY seq",
        )
        .all(),
    ) as Dispatch[];
    // Lent: transcripts ran on the brain worker, each told its one card.
    const lent = dispatches.filter((row) => row.worker === 'brain' && row.task_id.includes('transcribe'));
    expect(lent.length).toBeGreaterThan(0);
    for (const row of lent) expect([[0], [3]]).toContainEqual(JSON.parse(row.gpus));
    // One at a time: every attempt on the brain worker ended before the next was dispatched to it.
    const onBrain = rig.readDb((db) =>
      db
        .prepare(
          "SELECT event_type FROM events WHERE event_type IN ('task_dispatched', 'task_completed') AND " +
            "json_extract(body, '$.worker_id') = 'brain' ORDER BY seq",
        )
        .pluck()
        .all(),
    ) as string[];
    for (const [i, type] of onBrain.entries()) expect(type).toBe(i % 2 === 0 ? 'task_dispatched' : 'task_completed');
    // Taken back ahead: a resource task loaded the 14B before the summary was dispatched, which then loaded nothing.
    const load = final.tasks?.find(
      (task) =>
        task.task_class === 'resource' && task.name.startsWith('load_llm.') && task.name.includes('qwen2.5:14b'),
    );
    expect(load).toMatchObject({ status: 'completed', worker_id: 'brain' });
    const order = dispatches.map((row) => row.task_id);
    expect(order.indexOf(load?.task_id ?? '')).toBeLessThan(order.indexOf(`${planId}.summary`));
    const summaryLoad = rig.readDb((db) =>
      db
        .prepare(
          "SELECT json_extract(body, '$.detail.load') FROM events WHERE event_type = 'task_dispatched' AND task_id = ?",
        )
        .pluck()
        .get(`${planId}.summary`),
    );
    expect(summaryLoad).toBeNull();
  });

  it('under --policy naive keeps the seed behaviour: workers switch models themselves, no resource tasks', {
    timeout: boundFor(2, 30_000),
  }, async () => {
    await rig.startBrain(['--profile', PROFILE, '--policy', 'naive']);
    await rig.startWorker('g1', ['--gpus', '1', ...SIM]);
    const planId = await submit('naive', [
      { name: 'segment', type: 'llm', model: 'qwen2.5:7b', prompt: 'segment', estimate_s: 10 },
      { name: 'embed', task_class: 'script', model: 'all-mpnet-base-v2', command: 'python embed.py', estimate_s: 5 },
    ]);
    const final = await rig.finished(planId, 30_000);
    expect(final.state).toBe('completed');
    expect(final.tasks?.map((task) => task.task_class).sort()).toEqual(['llm', 'script']);
  });
});
