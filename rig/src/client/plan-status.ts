import {
  err,
  MAX_STATUS_PAGE,
  ok,
  type MessageOf,
  type Ok,
  type PlanStatus,
  type TaskStatusRow,
} from '@rigmind/protocol';
import type { BrainClient, ClientFailure } from './brain-client.js';

/** A plan's status with every task, and the workers as the last page saw them. */
export interface FullPlanStatus {
  readonly status: PlanStatus;
  readonly workers: MessageOf<'status_reply'>['workers'];
  /** Set while the brain cannot write its state database (as the last page said). */
  readonly write_failure?: MessageOf<'status_reply'>['write_failure'];
}

/** A plan's whole status, or why not. */
export type PlanStatusResult = Ok<FullPlanStatus> | ClientFailure;

/** More pages than any plan has (5 million tasks): the loop ends even if the brain misbehaves. */
const MAX_PAGES = 1_000;

/**
 * A plan's status with every task row, read a page at a time: each page is one request with its own timeout, so
 * a plan of 100,000 tasks takes 20 small round trips instead of one reply of 30 MB that no timeout fits.
 */
export async function fetchPlanStatus(
  client: BrainClient,
  planId: string,
  pageTimeoutMs = 10_000,
): Promise<PlanStatusResult> {
  const tasks: TaskStatusRow[] = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const payload = { plan_id: planId, include_tasks: true, task_offset: tasks.length, task_limit: MAX_STATUS_PAGE };
    const result = await client.request('status_request', payload, pageTimeoutMs);
    if (!result.ok) return result;
    const reply = result.value.kind === 'status_reply' ? result.value : undefined;
    const status = reply?.plans[0];
    if (reply === undefined || status === undefined) {
      return err('invalid_reply', `the brain sent no status for ${planId}`, { issues: [] });
    }
    const rows = status.tasks ?? [];
    tasks.push(...rows);
    // State and counts from the last page, the newest; rows read earlier may be a moment older than they.
    if (rows.length < MAX_STATUS_PAGE || tasks.length >= status.total) {
      const health = reply.write_failure === undefined ? {} : { write_failure: reply.write_failure };
      return ok({ status: { ...status, tasks }, workers: reply.workers, ...health });
    }
  }
  const message = `the status of ${planId} kept growing while it was read`;
  return err('invalid_reply', message, { issues: [] });
}
