import type { PlanStatus, RigEvent } from '@rigmind/protocol';

/** Live progress of a plan: a redrawn bar on a terminal, plain lines otherwise. */
export class Progress {
  readonly #tty: boolean;
  readonly #failedShown = new Set<string>();
  #last = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.#tty = out.isTTY === true;
  }

  /** A task event: printed as a line (above the bar on a terminal). */
  event(event: RigEvent): void {
    const line = describe(event);
    if (line === undefined) return;
    if (event.event_type === 'task_failed') this.#failedShown.add(event.plan_task_id ?? event.task_id ?? '');
    this.#line(line);
  }

  /**
   * The plan's end: a failure the event stream did not show (a subscriber can join after a fast task has already
   * failed) is shown from the final status, so a failed run always says what failed and why.
   */
  settle(final: PlanStatus): void {
    for (const task of final.tasks ?? []) {
      if (task.status !== 'failed' || this.#failedShown.has(task.name)) continue;
      this.#failedShown.add(task.name);
      this.#line(`  FAILED    ${task.name}: ${task.cause ?? ''}`);
    }
  }

  #line(line: string): void {
    if (this.#tty) this.out.write(`\r\x1b[2K${line}\n${this.#last}`);
    else this.out.write(`${line}\n`);
  }

  /** A status poll: redraws the bar on a terminal. */
  status(status: PlanStatus): void {
    if (!this.#tty) return;
    const done = (status.counts.completed ?? 0) + (status.counts.failed ?? 0) + (status.counts.canceled ?? 0);
    const width = 30;
    const filled = status.total === 0 ? width : Math.round((done / status.total) * width);
    const running = (status.counts.running ?? 0) + (status.counts.leased ?? 0);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.#last = `[${bar}] ${done}/${status.total}  ${running} running  ${status.counts.failed ?? 0} failed`;
    this.out.write(`\r\x1b[2K${this.#last}`);
  }

  /** End the bar line. */
  finish(): void {
    if (this.#tty && this.#last !== '') this.out.write('\n');
  }
}

function describe(event: RigEvent): string | undefined {
  const name = event.plan_task_id ?? event.task_id ?? '';
  const simulated = event.detail?.['simulated'] === true ? ' [simulated]' : '';
  switch (event.event_type) {
    case 'task_started':
      return `  started   ${name} on ${event.worker_id ?? '?'}`;
    case 'task_completed':
      return `  completed ${name} in ${(event.elapsed_seconds ?? 0).toFixed(1)}s${simulated}`;
    case 'task_failed':
      return `  FAILED    ${name}: ${event.cause ?? event.error ?? ''}`;
    case 'task_retry_scheduled':
    case 'task_requeued':
      return `  retry     ${name}: ${event.cause ?? ''}`;
    case 'task_escalated':
      return `  escalated ${name}: ${event.cause ?? ''}`;
    default:
      return undefined;
  }
}
