import { randomBytes } from 'node:crypto';
import { err, MAX_CHUNK_TASKS, MAX_FRAME_BYTES, type Plan, type PlanTask } from '@rigmind/protocol';
import type { BrainClient, ClientResult } from './brain-client.js';

/**
 * Bytes of tasks one chunk carries at most (unless one task alone is bigger, within the frame limit): the brain
 * parses a chunk in one step, so this bounds the step whatever the tasks hold. ~0.5 MB is 5,000 typical tasks.
 */
export const CHUNK_BYTES = 1024 * 1024;

/** Room for a chunk's envelope and fields besides its tasks (ids, counts, sender: ~300 bytes). */
const ENVELOPE_BYTES = 1024;

/** How to send a plan: its source, and the brain's frame limit (max_frame_bytes). */
export interface SubmitOptions {
  readonly source?: string | undefined;
  readonly maxFrameBytes?: number | undefined;
  /** How long the last answer may take; by default 30 s plus 1 ms a task (~1 s per 10,000 on a busy machine). */
  readonly timeoutMs?: number | undefined;
}

/**
 * Submit a plan: in one `submit_plan` frame when it is small, otherwise uploaded in `plan_chunk`s of at most
 * MAX_CHUNK_TASKS tasks and CHUNK_BYTES, each sent once the brain took the one before, so that the brain parses and
 * checks it a chunk per turn and serves everyone else in between. The answer is the brain's to the whole plan:
 * `plan_accepted` once all of it is on disk, or a refusal. A task too big for a frame of its own is refused here,
 * with `frame_too_large` naming the limit.
 */
export async function submitPlan(client: BrainClient, plan: Plan, options: SubmitOptions = {}): Promise<ClientResult> {
  const maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  const source = options.source === undefined ? {} : { source: options.source };
  const lastTimeout = options.timeoutMs ?? 30_000 + plan.tasks.length;
  const { tasks, ...header } = plan;
  const headerBytes = Buffer.byteLength(JSON.stringify({ ...header, ...source }));
  const sizes = tasks.map((task) => Buffer.byteLength(JSON.stringify(task)) + 1);
  const whole = headerBytes + ENVELOPE_BYTES + sizes.reduce((sum, n) => sum + n, 0);
  if (tasks.length <= MAX_CHUNK_TASKS && whole <= Math.min(CHUNK_BYTES, maxFrameBytes)) {
    return client.request('submit_plan', { plan, ...source }, lastTimeout);
  }
  const chunks = chunkBounds(sizes, headerBytes, Math.min(CHUNK_BYTES, maxFrameBytes - ENVELOPE_BYTES));
  const uploadId = `up-${randomBytes(6).toString('hex')}`;
  for (const [index, [from, to]] of chunks.entries()) {
    const last = index === chunks.length - 1;
    const payload = {
      upload_id: uploadId,
      index,
      chunks: chunks.length,
      ...(index === 0 ? { plan: header, ...source } : {}),
      tasks: tasks.slice(from, to) as PlanTask[],
    };
    // The client's own check of each frame against the limit (BrainClient.request) names max_frame_bytes.
    const answer = await client.request('plan_chunk', payload, last ? lastTimeout : 30_000);
    if (last || !answer.ok) return answer;
    if (answer.value.kind !== 'chunk_received') {
      return err('invalid_reply', `expected chunk_received for chunk ${index}, got ${answer.value.kind}`, {
        issues: [],
      });
    }
  }
  return err('invalid_reply', 'an upload with no chunks', { issues: [] });
}

/**
 * Where each chunk starts and ends: at most MAX_CHUNK_TASKS tasks and `budget` bytes of tasks (chunk 0 carries the
 * header too), but never fewer than one task: a task over the budget goes alone, for the frame check to judge.
 */
function chunkBounds(sizes: readonly number[], headerBytes: number, budget: number): [number, number][] {
  const bounds: [number, number][] = [];
  let from = 0;
  let bytes = headerBytes;
  for (let i = 0; i < sizes.length; i += 1) {
    const size = sizes[i] as number;
    if (i > from && (i - from >= MAX_CHUNK_TASKS || bytes + size > budget)) {
      bounds.push([from, i]);
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  bounds.push([from, sizes.length]);
  return bounds;
}
