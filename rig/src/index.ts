/**
 * @rigmind/rig: the air-gapped rig. The brain (durable state, scheduler, sockets), workers, the GPU manager, the
 * Ollama client, the escalation client, plan intake, the scheduling policies and simulator, and the CLI.
 */
export { Brain, type BrainOptions } from './brain/brain.js';
export type { BrainContext, EscalationHooks, PlanResolver, PlanProblem } from './brain/brain-context.js';
export { ReadyQueue, effectivePriority, type ReadyEntry, type WorkerAppetite } from './brain/ready-queue.js';
export { Store, StoreError, type NewPlan } from './store/store.js';
export { Transitions, isTerminal, type FinishEffect, type PlanFinished } from './store/transitions.js';
export { backoffDelay, type BackoffPolicy } from './store/backoff.js';
export type { NewTask, TaskRow, PlanRow, AttemptRow } from './store/rows.js';
export { Worker, type WorkerOptions } from './worker/worker.js';
export { assembleWorker, type WorkerParts, type WorkerPartsOptions } from './worker/assemble-worker.js';
export { ShellRunner, type ShellEnvironment } from './worker/shell-runner.js';
export { LlmRunner, createLlmRunner } from './worker/llm-runner.js';
export { SimulatedRunner, type SimulatedTimings } from './worker/simulated-runner.js';
export { CardTaskRunner } from './worker/card-task-runner.js';
export { Sentinel } from './worker/sentinel.js';
export type { TaskRunner, RunRequest } from './worker/task-runner.js';
export { BrainClient, type ClientResult, type ClientFailure } from './client/brain-client.js';
export { subscribeEvents, waitForPlan, type WaitHooks } from './client/wait-plan.js';
export {
  RouterSocket,
  DealerSocket,
  EventPublisher,
  EventSubscriber,
  type SocketOptions,
  type RoutedFrame,
} from './transport/zmq.js';
export {
  GatewayClient,
  type GatewayClientOptions,
  type GatewayResult,
  type GatewayFailureCode,
} from './escalation/gateway-client.js';
export { Escalator, EXTERNAL_SOURCE } from './escalation/escalator.js';
export { buildHandoff } from './escalation/handoff.js';
export { LOW_CONFIDENCE_MARKER, BRAIN_SYSTEM_PROMPT } from './escalation/low-confidence.js';
export { parsePlanText, type PlanFormat, type PlanParseResult, type ParsedPlan } from './plan/parse-plan.js';
export type { PlanFailureCode, PlanIssues, PlanResult } from './plan/plan-result.js';
export { loadPlanFile, planFormatOf } from './plan/load-plan-file.js';
export {
  resolvePlan,
  TASK_DEFAULTS,
  type ResolvedTask,
  type ResolvedPlan,
  type ResolveResult,
} from './plan/resolve-plan.js';
export { formatPlanIssues } from './plan/format-issues.js';
export type { PlanIssue, PlanIssueCode, LineMap } from './plan/plan-issue.js';
export { POLICIES, POLICY_NAMES, isPolicyName, type PolicyName } from './scheduler/policies.js';
export {
  SchedulerKnobsSchema,
  DEFAULT_KNOBS,
  type SchedulerKnobs,
  type SchedulerInput,
  type SchedulerOutput,
  type Decision,
  type Policy,
  type SchedTask,
  type CardView,
  type RigSpec,
} from './scheduler/types.js';
export { rigSpecFromProfile } from './scheduler/rig-spec.js';
export { simulate, SimulationError, type SimResult, type SimulateOptions } from './sim/simulator.js';
export { checkTrace, type TraceViolation } from './sim/check-trace.js';
export { profileTimings, type RigTimings } from './sim/rig-timings.js';
export {
  loadRigProfile,
  loadScenario,
  type Scenario,
  type ScenarioErrorCode,
  type ScenarioResult,
  type RigProfileErrorCode,
  type RigProfileResult,
} from './sim/scenario.js';
export {
  rigHome,
  createRigHome,
  rigHomeExists,
  loadRigConfig,
  type RigHome,
  type RigConfigResult,
  type RigConfigErrorCode,
} from './config/rig-home.js';
export { resolveHome } from './config/env.js';
export { main as runCli, buildProgram } from './cli/main.js';

// The GPU manager's foundations: probe, poller, card state machine, thermal guard, card manager.
export {
  THROTTLE_REASONS,
  ThrottleReasonSchema,
  BENIGN_THROTTLE_REASONS,
  decodeThrottleReasons,
  type ThrottleReason,
  type DecodedReasons,
  type DecodeReasonsCode,
  type ThrottleMask,
} from './gpu/throttle-reasons.js';
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
  type ParsedLine,
  type ParseLineCode,
} from './gpu/gpu-sample.js';
export { execaRunner, type ProcessRunner, type RunOutcome, type RunOptions } from './gpu/process-runner.js';
export {
  GpuProbe,
  probeArgs,
  type GpuProbeOptions,
  type ProbeResult,
  type ProbeFailureCode,
  type ProbeSnapshot,
} from './gpu/gpu-probe.js';
export { GpuPoller, type GpuPollerOptions, type Probe } from './gpu/gpu-poller.js';
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
} from './gpu/card-state.js';
export {
  ThermalGuard,
  ThermalThresholdsSchema,
  type ThermalThresholds,
  type ThermalGuardOptions,
} from './gpu/thermal-guard.js';
export { vramFreedCheck } from './gpu/vram-check.js';
export { CardManager, type CardManagerOptions, type CardOllama, type CardResult } from './gpu/card-manager.js';

// The Ollama client: generate, chat, ps, tags, show, load, unload; failures as values with codes.
export {
  OllamaClient,
  type OllamaClientOptions,
  type KeepAlive,
  type CallOptions,
  type GenerateRequest,
  type ChatRequest,
  type GenerateOutput,
  type ChatOutput,
  type LoadOutput,
  type ShowOutput,
} from './ollama/ollama-client.js';
export type { OllamaErrorCode, OllamaFailure, OllamaResult } from './ollama/ollama-result.js';
export { type OllamaMetrics, metricsFrom } from './ollama/ollama-metrics.js';
export {
  ChatMessageSchema,
  GenerateChunkSchema,
  ChatChunkSchema,
  PsResponseSchema,
  TagsResponseSchema,
  ShowResponseSchema,
  type ChatMessage,
  type PsResponse,
  type RunningModel,
  type TagsResponse,
  type ShowResponse,
} from './ollama/ollama-schemas.js';
export { unloadModel, sameModel, type UnloadOptions, type UnloadReport } from './ollama/unload.js';
export { contextLengthOf } from './ollama/show-context.js';
export {
  CONTEXT_HEURISTIC,
  estimateTokens,
  estimateContext,
  type ContextInput,
  type ContextEstimate,
} from './ollama/context.js';
