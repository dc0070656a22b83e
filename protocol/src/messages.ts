import { z } from 'zod';
import { AdviceSchema, EscalationRequestSchema } from './escalation.js';
import { EventSchema } from './events.js';
import { PlanHeaderSchema, PlanSchema, PlanTaskSchema } from './plan.js';
import { SenderSchema } from './roles.js';
import { PlanStatusSchema, WorkerStatusSchema } from './status.js';
import { TaskSchema } from './task.js';
import {
  AttemptResultSchema,
  DispatchMarkSchema,
  HeldCardSchema,
  HeldTaskSchema,
  WorkerInfoSchema,
} from './worker-info.js';

/** The envelope every message travels in: version, sender, id, time. The `kind` is added per message. */
const envelope = {
  v: z.literal(1, { error: 'protocol version must be 1' }),
  sender: SenderSchema,
  msg_id: z.string().min(1).max(128),
  ts: z.iso.datetime(),
  /** For replies: the msg_id being answered. */
  re: z.string().max(128).optional(),
};

const message = <K extends string, S extends z.core.$ZodLooseShape>(kind: K, shape: S) =>
  z.strictObject({ ...envelope, kind: z.literal(kind), ...shape });

// Worker to brain: requests and reports.
const Register = message('register', {
  worker: WorkerInfoSchema,
  running: z.array(HeldTaskSchema),
  /** The last dispatch the worker received when it sent this; absent: none since it started. */
  seen: DispatchMarkSchema.optional(),
  /** False while the worker takes no new work (as in a heartbeat); absent: it does. */
  accepting: z.boolean().optional(),
  /** Its cards held for heat now (hot, not yet cooled); absent: an older worker, which does not say. */
  held: z.array(HeldCardSchema).max(64).optional(),
});
const Heartbeat = message('heartbeat', {
  running: z.array(HeldTaskSchema).optional(),
  /** False while the worker takes no new work (every card resting after running hot). */
  accepting: z.boolean().optional(),
});
/** What a worker saw happen on its cards (state changes, loads, heat), for the brain's event stream. */
const WorkerEvent = message('worker_event', { event: EventSchema });
const TaskStarted = message('task_started', { task_id: z.string(), attempt: z.int().min(1), pid: z.int().nullable() });
const TaskResult = message('task_result', {
  task_id: z.string(),
  attempt: z.int().min(1),
  result: AttemptResultSchema,
});
const Goodbye = message('goodbye', { reason: z.string().max(500) });

// Brain to worker: commands. Only the brain may send these (see dispatch-rule.ts).
const Welcome = message('welcome', {
  heartbeat_ms: z.int().min(50),
  liveness: z.int().min(1),
  /** Attempts the worker reported that the brain no longer wants: the worker must stop them. */
  abandon: z.array(HeldTaskSchema),
});
const Dispatch = message('dispatch', {
  task: TaskSchema,
  attempt: z.int().min(1),
  /** Results of this worker the brain has recorded (their msg_ids): an ack riding on the next dispatch. */
  acks: z.array(z.string().max(128)).max(1_000).optional(),
  /** The worker's cards this attempt runs on (the brain lending one of its own cards); absent: all of them. */
  gpus: z.array(z.int().min(0).max(63)).min(1).max(16).optional(),
  /** Which dispatch this is, for the worker's next register (`seen`). */
  mark: DispatchMarkSchema.optional(),
});
const CancelTask = message('cancel_task', { task_id: z.string(), attempt: z.int().min(1), reason: z.string() });
const Reregister = message('reregister', { reason: z.string() });

// Client to brain: requests.
const SubmitPlan = message('submit_plan', { plan: PlanSchema, source: z.string().max(200).optional() });
/**
 * Most task rows one status reply carries (about 1.5 MB): a plan's tasks beyond it are read page by page with
 * `task_offset`, so no reply grows with the plan and no client waits on one huge frame.
 */
export const MAX_STATUS_PAGE = 5_000;
const StatusRequest = message('status_request', {
  plan_id: z.string().optional(),
  include_tasks: z.boolean().optional(),
  /** With include_tasks: the plan's task rows from this position (plan order), at most task_limit of them. */
  task_offset: z.int().min(0).optional(),
  task_limit: z.int().min(1).max(MAX_STATUS_PAGE).optional(),
});
/**
 * Most tasks one `plan_chunk` carries (~0.5 MB with a typical command): the brain parses and checks each chunk in a
 * turn of its own, so no plan holds its loop for longer than one chunk does.
 */
export const MAX_CHUNK_TASKS = 5_000;
/**
 * One chunk of a plan uploaded in parts, for plans too big to send (or for the brain to take) in one frame. Chunk 0
 * opens the upload and carries the plan's header; the client sends chunk i + 1 once `chunk_received` answered chunk
 * i; the last chunk is answered like `submit_plan` (`plan_accepted` once the whole plan is on disk, or `refused`).
 * Nothing of an upload is stored before its last chunk: one never finished is dropped and never runs.
 */
const PlanChunk = message('plan_chunk', {
  /** The client's name for this upload, unique among its uploads under way. */
  upload_id: z.string().min(1).max(128),
  index: z.int().min(0),
  /** How many chunks the upload has in all. */
  chunks: z.int().min(1),
  /** The plan without its tasks: on chunk 0, and only there. */
  plan: PlanHeaderSchema.optional(),
  source: z.string().max(200).optional(),
  tasks: z.array(PlanTaskSchema).min(1).max(MAX_CHUNK_TASKS),
});
const CancelRequest = message('cancel_request', { target: z.string().min(1) });
const RetryRequest = message('retry_request', { task_id: z.string().min(1) });
const LogsRequest = message('logs_request', { task_id: z.string().min(1) });
const EscalateRequest = message('escalate_request', { task_id: z.string().min(1) });

// Brain to client: replies.
const PlanAccepted = message('plan_accepted', {
  plan_id: z.string(),
  tasks: z.array(z.strictObject({ name: z.string(), task_id: z.string(), fix_applied: z.string().optional() })),
});
const StatusReply = message('status_reply', {
  plans: z.array(PlanStatusSchema),
  workers: z.array(WorkerStatusSchema),
  /** Present while the brain cannot write its state database (a full disk): writes are refused until it can. */
  write_failure: z.strictObject({ code: z.string(), message: z.string(), since: z.string() }).optional(),
});
/** A chunk of an upload taken (checked, held in memory: nothing is on disk before the last chunk). */
const ChunkReceived = message('chunk_received', {
  upload_id: z.string(),
  index: z.int().min(0),
  /** Tasks of the upload taken so far. */
  tasks: z.int().min(0),
});
const Ack = message('ack', { detail: z.string(), affected: z.array(z.string()) });
const Refused = message('refused', {
  code: z.string(),
  message: z.string(),
  issues: z.array(z.strictObject({ path: z.string(), message: z.string(), line: z.int().optional() })),
});
const LogsReply = message('logs_reply', {
  task_id: z.string(),
  attempts: z.array(
    z.strictObject({
      attempt: z.int(),
      worker_id: z.string().nullable(),
      outcome: z.string().nullable(),
      stdout_path: z.string().nullable(),
      stderr_path: z.string().nullable(),
    }),
  ),
});

// Brain and gateway: the escalation pair. Advice is data for the brain, never a command.
const Escalation = message('escalation', { request: EscalationRequestSchema });
const AdviceMessage = message('advice', { escalation_id: z.string(), task_id: z.string(), advice: AdviceSchema });

/** Every message on the wire, one discriminated union on `kind`. */
export const MessageSchema = z.discriminatedUnion('kind', [
  Register,
  Heartbeat,
  TaskStarted,
  TaskResult,
  Goodbye,
  WorkerEvent,
  Welcome,
  Dispatch,
  CancelTask,
  Reregister,
  SubmitPlan,
  PlanChunk,
  StatusRequest,
  CancelRequest,
  RetryRequest,
  LogsRequest,
  EscalateRequest,
  PlanAccepted,
  StatusReply,
  ChunkReceived,
  Ack,
  Refused,
  LogsReply,
  Escalation,
  AdviceMessage,
]);
/** A wire message. */
export type Message = z.infer<typeof MessageSchema>;
/** A message's kind. */
export type MessageKind = Message['kind'];
/** The message of one kind. */
export type MessageOf<K extends MessageKind> = Extract<Message, { kind: K }>;
/** A message's payload: what a sender writes, without the envelope. */
export type Payload<K extends MessageKind> = Omit<MessageOf<K>, 'v' | 'sender' | 'msg_id' | 'ts' | 'kind' | 're'>;
