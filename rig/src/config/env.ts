import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The environment variables the rig reads, validated once. */
export const RigEnvSchema = z.object({
  RIGMIND_HOME: z.string().min(1).optional(),
  RIGMIND_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  RIGMIND_LD_LIBRARY_PATH: z.string().optional(),
  LD_LIBRARY_PATH: z.string().optional(),
  NO_COLOR: z.string().optional(),
});
/** The rig's environment. */
export type RigEnv = z.infer<typeof RigEnvSchema>;

let cached: RigEnv | undefined;

/** The process environment, parsed the first time it is asked for; the one place the rig reads `process.env`. */
export function rigEnv(): RigEnv {
  cached ??= RigEnvSchema.parse(process.env);
  return cached;
}

/** The rig home: `--home`, else RIGMIND_HOME, else ~/.rigmind. */
export function resolveHome(flag: string | undefined): string {
  return flag ?? rigEnv().RIGMIND_HOME ?? join(homedir(), '.rigmind');
}
