import type { z } from 'zod';
import { maySend } from './dispatch-rule.js';
import { formatPath, type Parsed, type ProtocolError, type ProtocolIssue } from './errors.js';
import { MessageSchema, type Message, type MessageKind, type MessageOf, type Payload } from './messages.js';
import { RoleSchema, type Role, type Sender } from './roles.js';
import { systemRuntime, type Runtime } from './runtime.js';
import { MAX_FRAME_BYTES, MAX_FRAME_DEPTH, PROTOCOL_VERSION } from './version.js';
import { firstInvalidUtf8, overDepthAt, recoverMsgId } from './frame-guard.js';

/** zod issues as protocol issues, with readable paths. */
export function toIssues(error: z.core.$ZodError): ProtocolIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

const refuse = (
  code: ProtocolError['code'],
  message: string,
  issues: ProtocolIssue[] = [],
  re?: string,
): Parsed<never> => ({
  ok: false,
  error: re === undefined ? { code, message, issues } : { code, message, issues, re },
});

const KNOWN_KINDS = new Set<string>(MessageSchema.options.map((option) => option.shape.kind.value));

/** Options for {@link parseMessage}. */
export interface ParseOptions {
  /** Roles this receiver accepts messages from; a worker accepts only the brain. */
  readonly from?: readonly Role[];
  /** Frame size limit in bytes. */
  readonly maxBytes?: number;
  /** Nesting limit (objects and arrays). */
  readonly maxDepth?: number;
}

/**
 * Parse one frame into a message, enforcing size, nesting, UTF-8, JSON, version, the dispatch rule and the schema,
 * in that order: the checks before JSON.parse are linear scans, so no frame costs more than its bytes to refuse.
 * Never throws on bad input: the brain and workers run every frame through here. A refusal carries the frame's
 * msg_id when it can be recovered, so the sender can match it to its request.
 */
export function parseMessage(frame: Uint8Array | string, options: ParseOptions = {}): Parsed<Message> {
  const maxBytes = options.maxBytes ?? MAX_FRAME_BYTES;
  const maxDepth = options.maxDepth ?? MAX_FRAME_DEPTH;
  const bytes = typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame;
  if (bytes.byteLength > maxBytes) {
    const message = `frame of ${bytes.byteLength} bytes is over the ${maxBytes}-byte limit (max_frame_bytes)`;
    return refuse('frame_too_large', message, [], recoverMsgId(bytes));
  }
  const deep = overDepthAt(bytes, maxDepth);
  if (deep >= 0) {
    return refuse('too_deep', `frame nests deeper than ${maxDepth} levels (at byte ${deep})`, [], recoverMsgId(bytes));
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) return refuse('invalid_utf8', `frame is not valid UTF-8 (byte ${bad})`, [], recoverMsgId(bytes));
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    return refuse('invalid_json', `frame is not JSON: ${(error as Error).message}`, [], recoverMsgId(bytes));
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return refuse('invalid_message', 'a message must be a JSON object');
  }
  const record = raw as Record<string, unknown>;
  const id = record['msg_id'];
  const re = typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
  if (record['v'] !== PROTOCOL_VERSION) {
    return refuse(
      'version_mismatch',
      `protocol version ${JSON.stringify(record['v'])} is not ${PROTOCOL_VERSION}`,
      [{ path: 'v', message: `expected ${PROTOCOL_VERSION}` }],
      re,
    );
  }
  // The dispatch rule is checked before the body so that a forbidden command is named as such, whatever its body.
  const kind = record['kind'];
  const role = RoleSchema.safeParse((record['sender'] as Record<string, unknown> | undefined)?.['role']);
  if (typeof kind === 'string' && KNOWN_KINDS.has(kind) && role.success && !maySend(role.data, kind as MessageKind)) {
    return refuse(
      'dispatch_forbidden',
      `a ${role.data} may not send '${kind}': the dispatch rule gives it to ${describeAllowed(kind as MessageKind)}`,
      [{ path: 'sender.role', message: `'${role.data}' may not send '${kind}'` }],
      re,
    );
  }
  const parsed = MessageSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = toIssues(parsed.error);
    const first = issues[0];
    return refuse(
      'invalid_message',
      `invalid '${String(kind)}' message${first ? `: ${first.path}: ${first.message}` : ''}`,
      issues,
      re,
    );
  }
  if (options.from && !options.from.includes(parsed.data.sender.role)) {
    return refuse(
      'unexpected_sender',
      `this receiver takes no messages from a ${parsed.data.sender.role}`,
      [{ path: 'sender.role', message: `expected one of ${options.from.join(', ')}` }],
      re,
    );
  }
  return { ok: true, value: parsed.data };
}

function describeAllowed(kind: MessageKind): string {
  return RoleSchema.options.filter((role) => maySend(role, kind)).join(' or ');
}

/** Build a message of `kind` from `sender`, filling in the envelope (msg_id and ts from `runtime`). */
export function createMessage<K extends MessageKind>(
  kind: K,
  sender: Sender,
  payload: Payload<K>,
  re?: string,
  // Optional and last so the many call sites that want the real clock stay as they are.
  runtime: Pick<Runtime, 'now' | 'id'> = systemRuntime,
): MessageOf<K> {
  const base = { v: PROTOCOL_VERSION, sender, msg_id: runtime.id(), ts: new Date(runtime.now()).toISOString(), kind };
  return (re === undefined ? { ...base, ...payload } : { ...base, re, ...payload }) as unknown as MessageOf<K>;
}

/** Encode a message as one frame. */
export function encodeMessage(message: Message): string {
  return JSON.stringify(message);
}
