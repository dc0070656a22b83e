import type { JudgementNote, PlanStatus } from '@rigmind/protocol';

/** A plan's status for a person: a summary line, and a table of tasks when there are rows. */
export function renderPlanStatus(plan: PlanStatus, withTasks: boolean): string {
  const counts = Object.entries(plan.counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const lines = [
    `${plan.plan_id}  ${plan.state.toUpperCase()}  ${counts}  (${plan.total} tasks, submitted ${plan.submitted_at})`,
  ];
  if (withTasks && plan.tasks !== undefined) {
    const width = Math.min(40, Math.max(4, ...plan.tasks.map((task) => task.name.length)));
    lines.push(`  ${'task'.padEnd(width)}  ${'status'.padEnd(16)} try  worker      rc    secs  cause`);
    for (const task of plan.tasks) {
      const rc = task.return_code === null ? '-' : String(task.return_code);
      const secs = task.elapsed_seconds === null ? '-' : task.elapsed_seconds.toFixed(1);
      const columns =
        `  ${task.name.padEnd(width)}  ${task.status.padEnd(16)} ${String(task.attempts).padStart(3)}  ` +
        `${(task.worker_id ?? '-').padEnd(10)} ${rc.padStart(3)} ${secs.padStart(7)}  `;
      const tags =
        (task.task_class === 'resource' ? '[resource] ' : '') +
        (task.simulated ? '[simulated] ' : '') +
        (task.preemptions > 0 ? `[preempted ${task.preemptions}x] ` : '') +
        // Attempts that lost their worker count in `try` but are not failures: say how many, so 3 tries with 2
        // lost reads as one real failure, not three.
        (task.lost_leases > 0 ? `[lost worker ${task.lost_leases}x] ` : '');
      const fix = task.fix_applied !== null ? `  [fix: ${task.fix_applied}]` : '';
      lines.push(`${columns}${tags}${task.cause ?? ''}${fix}`);
      if (task.judgement !== null) lines.push(`    ${judgementLine(task.judgement)}`);
    }
  }
  return lines.join('\n');
}

/** The brain's model's last judgement of a task, under its line: what it chose, how sure, why, and what was done. */
export function judgementLine(note: JudgementNote): string {
  const confidence = note.confidence === null ? '' : ` (confidence ${note.confidence})`;
  const done =
    note.outcome === 'applied' ? 'applied' : `${note.outcome}${note.why === undefined ? '' : `: ${note.why}`}`;
  const because = note.reasoning === null ? '' : ` because: ${note.reasoning.replace(/\s+/g, ' ').slice(0, 300)}`;
  return `judged ${note.decision ?? '-'}${confidence}, ${done}.${because}`;
}
