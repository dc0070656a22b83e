import type { PlanHeader } from '@rigmind/protocol';
import type { PlanChecker } from './brain-context.js';

/**
 * Most chunked uploads the brain holds at once (all clients together): each may hold a plan of up to
 * MAX_PLAN_TASKS tasks in memory until its last chunk, so the brain's memory stays bounded. Over it, chunk 0 is
 * refused with `too_many_uploads`.
 */
export const MAX_OPEN_UPLOADS = 4;

/** A chunked upload under way: the plan's header, its tasks checked so far, and the chunk expected next. */
export interface Upload {
  readonly key: string;
  readonly uploadId: string;
  readonly header: PlanHeader;
  readonly source: string;
  readonly chunks: number;
  readonly check: PlanChecker;
  next: number;
  lastAt: number;
}

/**
 * The uploads under way, by connection and upload id. Memory only: a brain that stops loses them all, and an upload
 * never finished is never stored, never run. One idle for `upload_idle_ms` is dropped by {@link expire}.
 */
export class PlanUploads {
  readonly #open = new Map<string, Upload>();

  /** The key of a connection's upload. */
  static keyOf(identity: Buffer, uploadId: string): string {
    return `${identity.toString('hex')}/${uploadId}`;
  }

  /** How many uploads are under way. */
  get size(): number {
    return this.#open.size;
  }

  /** The upload under `key`, if one is under way. */
  get(key: string): Upload | undefined {
    return this.#open.get(key);
  }

  /** Open an upload (the caller checked {@link MAX_OPEN_UPLOADS}). */
  open(upload: Upload): void {
    this.#open.set(upload.key, upload);
  }

  /** The upload ended: its last chunk came, or it was refused. */
  close(key: string): void {
    this.#open.delete(key);
  }

  /** Drop the uploads that got no chunk for `idleMs`; returns them. */
  expire(now: number, idleMs: number): Upload[] {
    const expired = [...this.#open.values()].filter((upload) => now - upload.lastAt >= idleMs);
    for (const upload of expired) this.#open.delete(upload.key);
    return expired;
  }
}
