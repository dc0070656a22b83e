import type { Runtime } from '@rigmind/protocol';
import { CardStateMachine, type CardState } from '../gpu/card-state.js';
import type { RunningView } from '../scheduler/types.js';

/** The model name the state machine is given for a script that loads no model (its process still holds the card). */
const NO_MODEL = '(script)';

/**
 * One simulated card. The real {@link CardStateMachine} follows the card's first model (the one it booted); script
 * models loaded beside it (co-resident) and tasks run on them change no state, because the table has no move for
 * them, and the trace records them instead. A bad move throws ForbiddenTransitionError, as on the live rig.
 */
export class SimCard {
  readonly machine: CardStateMachine;
  /** Resident (or loading) models and the cards of each instance. */
  readonly resident = new Map<string, readonly number[]>();
  busyUntilS: number | null = null;
  running: RunningView | null = null;
  /**
   * While the card unloads for a job: what the job loads on it next (null: nothing), so the policy sees the card as
   * the job will leave it, as the live brain's card book does from the decision on. Undefined when not unloading.
   */
  incoming: { readonly model: string; readonly group: readonly number[] } | null | undefined = undefined;
  /** Bumped on every new job, so a preempted job's pending events are ignored. */
  token = 0;
  #bareScript = false;

  constructor(
    readonly gpu: number,
    readonly vramMb: number,
    runtime: Pick<Runtime, 'now'>,
  ) {
    this.machine = new CardStateMachine({ gpuId: gpu, runtime });
  }

  /** The card's state. */
  get state(): CardState {
    return this.machine.state;
  }

  /** Start dropping everything; true when there was anything to drop. */
  beginUnload(): boolean {
    if (this.state === 'idle') return false;
    this.machine.transition({ to: 'unloading' });
    return true;
  }

  /** VRAM is clear. */
  endUnload(): void {
    if (this.state === 'unloading') this.machine.transition({ to: 'idle' });
    this.resident.clear();
    this.incoming = undefined;
  }

  /** Start loading `model` (an instance on `group`): a boot on an empty card, a co-resident load otherwise. */
  beginLoad(model: string, kind: 'llm' | 'script', group: readonly number[]): void {
    if (this.state === 'idle')
      this.machine.transition({ to: kind === 'llm' ? 'booting_llm' : 'booting_script', model });
    this.resident.set(model, group);
  }

  /** The model is in VRAM. */
  endLoad(): void {
    if (this.state === 'booting_llm') this.machine.transition({ to: 'llm_ready' });
    else if (this.state === 'booting_script') this.machine.transition({ to: 'script_busy' });
  }

  /** A task starts on the card: an LLM task makes it busy; a script with no model on an empty card holds it. */
  beginRun(taskId: string, kind: 'llm' | 'script'): void {
    if (kind === 'llm') {
      this.machine.transition({ to: 'llm_busy', taskId });
    } else if (this.state === 'idle') {
      this.machine.transition({ to: 'booting_script', model: NO_MODEL, taskId });
      this.machine.transition({ to: 'script_busy', taskId });
      this.#bareScript = true;
    }
  }

  /** The task ended (or was stopped). */
  endRun(taskId: string): void {
    if (this.state === 'llm_busy') this.machine.transition({ to: 'llm_ready', taskId });
    else if (this.#bareScript) {
      // A script with no model leaves nothing behind: its process exiting is the unload.
      this.machine.transition({ to: 'unloading', taskId });
      this.machine.transition({ to: 'idle', taskId });
      this.#bareScript = false;
    }
  }
}
