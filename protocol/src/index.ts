/**
 * @rigmind/protocol: the zod schemas the rig and the gateway share, the types inferred from them, and the pure rules
 * both apply (dispatch, reconnect, signing, redaction, spotlighting). Nothing here does I/O.
 */
export { PROTOCOL_VERSION, MAX_FRAME_BYTES, MAX_FRAME_DEPTH } from './version.js';
export { firstInvalidUtf8, overDepthAt, recoverMsgId } from './frame-guard.js';
export { RoleSchema, SenderSchema, type Role, type Sender } from './roles.js';
export {
  TaskClassSchema,
  TaskTypeSchema,
  ExecutorSchema,
  TaskStatusSchema,
  TaskSourceSchema,
  TaskNameSchema,
  PrioritySchema,
  TaskSchema,
  TaskPathSchema,
  InputNameSchema,
  TaskInputSchema,
  TaskFailureCodeSchema,
  MAX_TASK_IMAGES,
  TERMINAL_STATUSES,
  ResourceActionSchema,
  type ResourceAction,
  type TaskClass,
  type TaskType,
  type Executor,
  type TaskStatus,
  type Task,
  type TaskInput,
  type TaskFailureCode,
} from './task.js';
export {
  MAX_PLAN_TASKS,
  PlanHeaderSchema,
  PlanInputSchema,
  PlanSchema,
  PlanTaskSchema,
  TaskDefaultsSchema,
  type Plan,
  type PlanHeader,
  type PlanInput,
  type PlanTask,
  type TaskDefaults,
} from './plan.js';
export {
  GpuInfoSchema,
  WorkerInfoSchema,
  HeldCardSchema,
  HeldTaskSchema,
  DispatchMarkSchema,
  AttemptOutcomeSchema,
  AttemptResultSchema,
  type GpuInfo,
  type WorkerInfo,
  type HeldCard,
  type HeldTask,
  type DispatchMark,
  type AttemptOutcome,
  type AttemptResult,
} from './worker-info.js';
export {
  TaskStatusRowSchema,
  PlanStateSchema,
  PlanStatusSchema,
  WorkerStatusSchema,
  type TaskStatusRow,
  type PlanState,
  type PlanStatus,
  type WorkerStatus,
} from './status.js';
export {
  ESCALATION_LIMITS,
  UntrustedDataSchema,
  LocalAttemptSchema,
  EscalationReasonSchema,
  EscalationRequestSchema,
  AdviceSchema,
  EscalationStateSchema,
  EscalationResponseSchema,
  IdempotencyKeySchema,
  type UntrustedData,
  type LocalAttempt,
  type EscalationReason,
  type EscalationRequest,
  type EscalationRequestInput,
  type Advice,
  type EscalationState,
  type EscalationResponse,
} from './escalation.js';
export { EventTypeSchema, EventSchema, type EventType, type RigEvent } from './events.js';
export {
  MAX_CHUNK_TASKS,
  MAX_STATUS_PAGE,
  MessageSchema,
  type Message,
  type MessageKind,
  type MessageOf,
  type Payload,
} from './messages.js';
export { DISPATCH_RULE, WORKER_COMMANDS, maySend } from './dispatch-rule.js';
export { RECONNECT_CAP_HEARTBEATS } from './reconnect.js';
/** One injected source of time, sleep, randomness and ids; the real one for composition roots. */
export { systemRuntime, type Runtime } from './runtime.js';
/** One shape for expected failures: a code from a closed union per module, a message, typed extras. */
export { ok, err, type Result, type Ok, type Err, type Failure, type NoExtra } from './result.js';
/** The codes of a brain's `refused` message, closed on the reading side. */
export { REFUSAL_CODES, RefusalCodeSchema, UNKNOWN_REFUSAL, refusalCodeOf, type RefusalCode } from './refusal.js';
export { formatPath, type Parsed, type ProtocolError, type ProtocolErrorCode, type ProtocolIssue } from './errors.js';
export { parseMessage, createMessage, encodeMessage, toIssues, type ParseOptions } from './parse.js';
export {
  EndpointSchema,
  RigConfigSchema,
  ProfileModelSchema,
  RigProfileSchema,
  type RigConfig,
  type RigProfile,
} from './config.js';
export {
  SIGNATURE_HEADERS,
  SIGNATURE_SCHEME,
  SIGNATURE_MAX_SKEW_MS,
  SigningError,
  sha256Hex,
  canonicalString,
  computeSignature,
  signatureMatches,
  signRequest,
  type SignedParts,
  type SignRequestInput,
} from './signing.js';
export { REDACTION_RULES, redactText, redactDeep, type RedactionRule, type Redacted } from './redact.js';
export { UNTRUSTED_TAG, markerFrom, neutralize, wrapUntrusted, untrustedDataRule } from './spotlight.js';
export {
  buildStructuredPrompt,
  templateInputs,
  inputLabel,
  type PromptParts,
  type QuotedSection,
  type StructuredPrompt,
  type UntrustedPiece,
} from './structured-prompt.js';
export {
  CatalogCommandSchema,
  CatalogModelSchema,
  CatalogSchema,
  PlannerReplySchema,
  PLANNER_FORMAT,
  type Catalog,
  type CatalogCommand,
  type CatalogModel,
  type PlannerReply,
} from './catalog.js';
export {
  CONFIDENCE_FORMAT,
  CONFIDENCE_INSTRUCTION,
  ConfidentAnswerSchema,
  parseConfidentAnswer,
  type ConfidentAnswer,
} from './confidence.js';
export {
  JudgementDecisionSchema,
  JudgementFixSchema,
  JudgementSchema,
  JUDGEMENT_FORMAT,
  JUDGE_INSTRUCTIONS,
  judgementPrompt,
  parseJudgement,
  boundFix,
  fixNote,
  JudgementOutcomeSchema,
  JudgementNoteSchema,
  type JudgementOutcome,
  type JudgementNote,
  type JudgementDecision,
  type JudgementFix,
  type Judgement,
  type JudgedTask,
  type JudgementParseCode,
  type FixBounds,
  type FixRefusal,
} from './judgement.js';
export {
  DeciderSchema,
  DecisionKindSchema,
  DECISION_RULE,
  mayDecide,
  type Decider,
  type DecisionKind,
  type DecisionRow,
  type DecisionChecks,
  type DecisionRefusal,
} from './decision-rule.js';
