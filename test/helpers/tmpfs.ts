import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A tmpfs mounted by a test: a disk that can really be filled. */
export interface Tmpfs {
  readonly dir: string;
  /** Write a file until the disk is full (ENOSPC); returns its path. */
  fill(): string;
  /** Unmount and remove the mount point. */
  close(): void;
}

/** Mount a tmpfs of `sizeMb`, or say why it cannot be (not root, no mount permission in a container). */
export function mountTmpfs(sizeMb: number): { ok: true; tmpfs: Tmpfs } | { ok: false; reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rigmind-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const why = (error as Error).message.split('\n')[0];
    return { ok: false, reason: `cannot mount a tmpfs (this test needs root): ${why}` };
  }
  const tmpfs: Tmpfs = {
    dir,
    fill() {
      const path = join(dir, 'filler');
      const fd = openSync(path, 'a');
      try {
        // Big chunks first, then single pages, so the disk is full to the last page; bounded by the disk's size.
        for (const size of [64 * 1024, 4096, 512]) {
          const chunk = Buffer.alloc(size, 1);
          for (let i = 0; i < (sizeMb * 1024 * 1024) / size + 1; i += 1) {
            try {
              writeSync(fd, chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return path;
    },
    close() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return { ok: true, tmpfs };
}
