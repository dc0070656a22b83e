import type { EscalationReason } from '@rigmind/protocol';
import type { TaskRow } from '../store/rows.js';
import type { FinishEffect, PlanFinished } from '../store/transitions.js';

/**
 * What a handler wants done after the state machine moved a task: the follow-ups, as data. Handlers (frames,
 * timers, the escalator's gateway replies) return these instead of calling each other; `applyEffects` is the one
 * place that carries them out, and applying one may yield more (a retry may escalate, a release may complete).
 */
export type BrainEffect =
  /**
   * An attempt (or a lost lease, or a direct completion or failure) ended, as the state machine announced: requeue,
   * back off, forget the cascaded, release.
   */
  | { readonly kind: 'finished'; readonly taskId: string; readonly effect: FinishEffect }
  /** Tasks a transition made ready: release and queue each one (or let the escalation path finish it). */
  | { readonly kind: 'release'; readonly taskIds: readonly string[] }
  /** A queued row enters the ready queue, or the escalation path when it must leave the rig. */
  | { readonly kind: 'enqueue'; readonly row: TaskRow }
  /**
   * Hand a task to the external tier. `otherwise` is applied when it is not taken (no gateway configured, or a
   * sensitive task its plan keeps local).
   */
  | {
      readonly kind: 'escalate';
      readonly taskId: string;
      readonly reason: EscalationReason;
      readonly otherwise: readonly BrainEffect[];
    }
  /** Fail a task now with a cause (it cannot run here and cannot leave), cascading to its dependents. */
  | { readonly kind: 'fail'; readonly taskId: string; readonly cause: string }
  /** A failure no rule classifies: ask the brain's model to judge it (the task waits, judging). */
  | { readonly kind: 'judge'; readonly taskId: string; readonly attempt: number; readonly error: string }
  /** The rules' default for a task still judging: retry or fail as its retries say (an escalation not taken). */
  | { readonly kind: 'judged_default'; readonly taskId: string; readonly attempt: number }
  /** A plan reached a terminal state: announce it. */
  | { readonly kind: 'plan_finished'; readonly plan: PlanFinished }
  /** Work or capacity changed: ask the dispatcher to run soon (coalesced). */
  | { readonly kind: 'pump' };

/** The `finished` effect of a state-machine result. */
export function finished(taskId: string, effect: FinishEffect): BrainEffect {
  return { kind: 'finished', taskId, effect };
}
