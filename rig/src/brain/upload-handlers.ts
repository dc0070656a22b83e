import { createMessage, MAX_PLAN_TASKS, type Message, type MessageOf, type RefusalCode } from '@rigmind/protocol';
import type { BrainContext } from './brain-context.js';
import { acceptArrival } from './plan-intake.js';
import { MAX_OPEN_UPLOADS, PlanUploads, type Upload } from './plan-uploads.js';

type Reply = (message: Message) => void;

/**
 * One chunk of a plan upload. Each chunk is parsed (by the frame loop) and checked (here) in a turn of its own, and
 * answered with `chunk_received`, so the client sends the next one only after the brain took this one, and every
 * other peer is served in between. The last chunk is answered like `submit_plan`, through `replyLater`: the plan's
 * graph is checked on a turn of its own, the plan stored in slices, and `plan_accepted` sent once all of it is on
 * disk. Nothing is stored before the last chunk, so an upload never finished is never run; it expires after
 * `upload_idle_ms` without a chunk, and a brain that restarts has none.
 */
export function onPlanChunk(
  ctx: BrainContext,
  identity: Buffer,
  message: MessageOf<'plan_chunk'>,
  reply: Reply,
  replyLater: Reply,
): void {
  const key = PlanUploads.keyOf(identity, message.upload_id);
  const refuse = (code: RefusalCode, why: string, issues: { path: string; message: string }[] = []): void => {
    reply(createMessage('refused', { role: 'brain', id: ctx.id }, { code, message: why, issues }, message.msg_id));
  };
  const upload = message.index === 0 ? open(ctx, key, message, refuse) : next(ctx, key, message, refuse);
  if (upload === undefined) return;
  if (upload.check.size + message.tasks.length > MAX_PLAN_TASKS) {
    ctx.uploads.close(key);
    const why = `a plan has at most ${MAX_PLAN_TASKS} tasks (MAX_PLAN_TASKS); this upload has more`;
    refuse('plan_invalid', `plan '${upload.header.plan}' refused: ${why}`, [{ path: 'tasks', message: why }]);
    return;
  }
  upload.check.add(message.tasks);
  upload.next += 1;
  upload.lastAt = ctx.runtime.now();
  if (upload.next < upload.chunks) {
    const payload = { upload_id: upload.uploadId, index: message.index, tasks: upload.check.size };
    reply(createMessage('chunk_received', { role: 'brain', id: ctx.id }, payload, message.msg_id));
    return;
  }
  ctx.uploads.close(key);
  const arrival = { header: upload.header, source: upload.source, re: message.msg_id, check: upload.check };
  void acceptArrival(ctx, arrival, replyLater).catch((error: unknown) =>
    ctx.logger.error({ err: error, upload_id: upload.uploadId }, 'accepting an uploaded plan failed'),
  );
}

/** Chunk 0: open an upload, within MAX_OPEN_UPLOADS. */
function open(
  ctx: BrainContext,
  key: string,
  message: MessageOf<'plan_chunk'>,
  refuse: (code: RefusalCode, why: string) => void,
): Upload | undefined {
  if (message.plan === undefined) {
    refuse('invalid_message', 'chunk 0 opens an upload and carries the plan without its tasks (`plan`)');
    return undefined;
  }
  if (ctx.uploads.get(key) !== undefined) {
    ctx.uploads.close(key);
    refuse('upload_out_of_order', `upload '${message.upload_id}' was already under way; it is dropped: start anew`);
    return undefined;
  }
  if (ctx.uploads.size >= MAX_OPEN_UPLOADS) {
    const why = `${ctx.uploads.size} plan uploads are under way, the most the brain takes at once (MAX_OPEN_UPLOADS)`;
    refuse('too_many_uploads', `${why}: try again once one is accepted`);
    return undefined;
  }
  const upload: Upload = {
    key,
    uploadId: message.upload_id,
    header: message.plan,
    source: message.source ?? `client:${message.sender.id}`,
    chunks: message.chunks,
    check: ctx.checkPlan(message.plan.defaults),
    next: 0,
    lastAt: ctx.runtime.now(),
  };
  ctx.uploads.open(upload);
  return upload;
}

/** A later chunk: of an upload under way, the one expected next; anything else ends the upload. */
function next(
  ctx: BrainContext,
  key: string,
  message: MessageOf<'plan_chunk'>,
  refuse: (code: RefusalCode, why: string) => void,
): Upload | undefined {
  const upload = ctx.uploads.get(key);
  if (upload === undefined) {
    const why =
      `no upload '${message.upload_id}' is under way: it got no chunk for upload_idle_ms ` +
      `(${ctx.config.upload_idle_ms} ms), or the brain restarted; nothing of it was stored: send the plan again`;
    refuse('upload_unknown', why);
    return undefined;
  }
  if (message.index !== upload.next || message.chunks !== upload.chunks || message.plan !== undefined) {
    ctx.uploads.close(key);
    const why =
      `upload '${message.upload_id}' expected chunk ${upload.next} of ${upload.chunks} (without a plan header), ` +
      `got chunk ${message.index} of ${message.chunks}; the upload is dropped: send the plan again`;
    refuse('upload_out_of_order', why);
    return undefined;
  }
  return upload;
}
