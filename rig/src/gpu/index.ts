/** The GPU resource manager's foundations: probe, poller, card state machine, thermal guard, card manager. */
export { systemClock, systemSchedule, type Clock, type Schedule } from './clock.js';
export { THROTTLE_REASONS, ThrottleReasonSchema, BENIGN_THROTTLE_REASONS, decodeThrottleReasons, type ThrottleReason, type DecodedReasons } from './throttle-reasons.js';
export {
  GpuSampleSchema,
  REASONS_FIELD,
  LEGACY_REASONS_FIELD,
  queryFields,
  parseSampleLine,
  parseSampleOutput,
  type GpuSample,
  type ProbeIssue,
  type ReasonsField,
} from './gpu-sample.js';
export { execaRunner, type ProcessRunner, type RunOutcome, type RunOptions } from './process-runner.js';
export { GpuProbe, probeArgs, type GpuProbeOptions, type ProbeResult, type ProbeFailureCode } from './gpu-probe.js';
export { GpuPoller, type GpuPollerOptions, type Probe } from './gpu-poller.js';
export {
  CardStateSchema,
  CARD_TRANSITIONS,
  CardStateMachine,
  ForbiddenTransitionError,
  canTransition,
  type CardState,
  type ModelKind,
  type TransitionRequest,
  type CardStateOptions,
} from './card-state.js';
export { ThermalGuard, ThermalThresholdsSchema, type ThermalThresholds, type ThermalGuardOptions } from './thermal-guard.js';
export { vramFreedCheck } from './vram-check.js';
export { CardManager, type CardManagerOptions, type CardOllama, type CardResult } from './card-manager.js';
