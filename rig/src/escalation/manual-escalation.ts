import type { TaskRow } from '../store/rows.js';
import type { EscalationState } from '../store/escalations.js';

/**
 * Why a person may not escalate this task now (`rigmind escalate TASK_ID`), or undefined when they may: a queued
 * or backing-off task, a failed one, or one held after a decline. `escalation` is the state of its last handoff;
 * `mayLeave` whether its plan lets it leave the rig (sensitive tasks).
 */
export function whyNotByHand(
  row: TaskRow,
  escalation: EscalationState | undefined,
  mayLeave: boolean,
): string | undefined {
  switch (row.status) {
    case 'completed':
      return 'is completed';
    case 'canceled':
      return 'was canceled; `rigmind retry` it first';
    case 'blocked':
      return 'is waiting for the tasks it depends on; escalate it once they are done';
    case 'leased':
    case 'running':
      return 'is running; escalate it if it fails, or cancel it first';
    case 'waiting_external':
      if (escalation !== 'held') return 'is already with the external tier';
  }
  if (!mayLeave)
    return `is sensitive, and plan '${row.plan_id}' does not allow escalating it (allow_external_sensitive)`;
  return undefined;
}
