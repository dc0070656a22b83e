import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { RigHarness } from '../../helpers/rig-harness.js';
import { submit } from '../../helpers/rig-with-gateway.js';

const track = closesAfterEach();

const TASKS = 300;
const RESTARTS = 20;

/** What the run log says: per task, its attempts in order, each with whether it ended, and the kill markers. */
interface Run {
  readonly task: string;
  readonly attempt: string;
  readonly startedAfterKill: number;
  endedAfterKill: number | undefined;
}

function readRuns(log: string): { runs: Run[]; kills: number } {
  const runs: Run[] = [];
  const open = new Map<string, Run>();
  let kills = 0;
  for (const line of log.trim().split('\n')) {
    const [what, task = '', attempt = ''] = line.split(' ');
    if (what === 'kill') kills += 1;
    else if (what === 'start') {
      const run = { task, attempt, startedAfterKill: kills, endedAfterKill: undefined };
      runs.push(run);
      open.set(`${task}#${attempt}`, run);
    } else if (what === 'end') {
      const run = open.get(`${task}#${attempt}`);
      if (run !== undefined) run.endedAfterKill = kills;
    }
  }
  return { runs, kills };
}

describe('a brain killed with SIGKILL and started again at once, over and over', () => {
  it('20 immediate restarts during a 300-task plan: nothing runs after it completed, nothing fails', async () => {
    // No re-run needs every worker heard within heartbeat_ms x liveness (1.2 s here) between kills: the window is
    // what the brain acts on, and a worker starved longer than that would rightly lose its leases.
    const rig = track(new RigHarness({ heartbeatMs: 400 }));
    const log = join(rig.home, 'runs.log');
    let brain = await rig.startBrain();
    await rig.startWorker('w1', ['--slots', '4']);
    await rig.startWorker('w2', ['--slots', '4']);
    // Each task writes when it starts and when it ends: a re-run shows as a second start, counted from outside.
    const command =
      `echo "start $RIGMIND_TASK_ID $RIGMIND_ATTEMPT" >> ${log}; sleep 0.1; echo "end ` +
      `$RIGMIND_TASK_ID $RIGMIND_ATTEMPT" >> ${log}`;
    const tasks = Array.from({ length: TASKS }, (_, i) => ({ name: `t${i}`, command, max_retries: 0 }));
    const planId = await submit(rig, { plan: 'restarts', tasks });
    const ended = () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('end')).length
        : 0;

    for (let kill = 1; kill <= RESTARTS; kill += 1) {
      // Spread the kills over the plan: each one lands while tasks run, a few completions after the last.
      const target = Math.floor((TASKS * kill) / (RESTARTS + 2));
      await rig.until(() => ended() >= target, 30_000, `${target} tasks ended before kill ${kill}`);
      appendFileSync(log, `kill ${kill}\n`);
      brain.proc.kill('SIGKILL');
      await brain.proc;
      brain = await rig.startBrain();
    }

    const final = await rig.finished(planId, 60_000);
    const { runs, kills } = readRuns(readFileSync(log, 'utf8'));
    const lost = rig.readDb((db) =>
      db.prepare("SELECT count(*) FROM events WHERE event_type = 'worker_lost'").pluck().get(),
    );
    console.info(
      `quick restarts: ${runs.length - TASKS} re-runs of ${TASKS} tasks over ${kills} kills; ${lost} workers lost`,
    );
    expect(kills).toBe(RESTARTS);
    expect(final.state).toBe('completed');
    expect(final.counts.completed).toBe(TASKS);
    const byTask = new Map<string, Run[]>();
    for (const run of runs) byTask.set(run.task, [...(byTask.get(run.task) ?? []), run]);
    expect(byTask.size).toBe(TASKS);
    // Nothing started again once one of its runs had ended.
    const afterEnd = [...byTask.values()].filter((list) =>
      list.some((_run, i) => i > 0 && list[i - 1]?.endedAfterKill !== undefined),
    );
    expect(afterEnd.map((list) => list[0]?.task)).toEqual([]);
    // A re-run only of a task that was running when the brain was killed: started before a kill, not ended by it.
    const reruns = [...byTask.values()].filter((list) => list.length > 1);
    const unexplained = reruns.filter((list) => {
      const first = list[0] as Run;
      return (first.endedAfterKill ?? kills) === first.startedAfterKill;
    });
    expect(unexplained.map((list) => list[0]?.task)).toEqual([]);
    const failed = rig.readDb((db) =>
      db.prepare("SELECT count(*) FROM events WHERE event_type IN ('plan_failed', 'task_failed')").pluck().get(),
    );
    expect(failed).toBe(0);
    const completions = rig.readDb((db) =>
      db.prepare("SELECT count(*) FROM attempts WHERE outcome = 'completed'").pluck().get(),
    );
    expect(completions).toBe(TASKS);
    // Most of the time is 21 brain processes starting (tsx): about 2 s each on an idle box, 7-11 s at a load of 18.
  }, 300_000);
});
