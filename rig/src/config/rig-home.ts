import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { err, ok, RigConfigSchema, toIssues, type Result, type RigConfig } from '@rigmind/protocol';

/** Where everything of one rig lives: config.json, the state database, logs and keys. */
export interface RigHome {
  readonly dir: string;
  readonly configPath: string;
  readonly dbPath: string;
  readonly logDir: string;
  readonly taskLogDir: string;
  readonly runDir: string;
}

/** Paths of a rig home; nothing is created (a client asking a brain must not leave an empty home behind). */
export function rigHome(dir: string): RigHome {
  const root = resolve(dir);
  const home: RigHome = {
    dir: root,
    configPath: join(root, 'config.json'),
    dbPath: join(root, 'state.db'),
    logDir: join(root, 'logs'),
    taskLogDir: join(root, 'logs', 'tasks'),
    runDir: join(root, 'run'),
  };
  return home;
}

/** Create a home's folders: what a brain or a worker does before it writes there. */
export function createRigHome(home: RigHome): RigHome {
  for (const path of [home.dir, home.logDir, home.taskLogDir, home.runDir]) mkdirSync(path, { recursive: true });
  return home;
}

/** Whether a rig was ever set up here: the folder exists. */
export function rigHomeExists(home: RigHome): boolean {
  return existsSync(home.dir);
}

/** Why config.json could not be used: it cannot be read, is not JSON, or breaks RigConfigSchema (the fields named). */
export type RigConfigErrorCode = 'config_unreadable' | 'config_not_json' | 'config_invalid';

/** The rig's config, or why not, naming the file. */
export type RigConfigResult = Result<RigConfig, RigConfigErrorCode, { readonly file: string }>;

/** Read config.json under the home; a missing file means all defaults. */
export function loadRigConfig(home: RigHome): RigConfigResult {
  const file = home.configPath;
  let text: string;
  try {
    text = readFileSync(home.configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(RigConfigSchema.parse({}));
    return err('config_unreadable', (error as Error).message, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return err('config_not_json', `not JSON: ${(error as Error).message}`, { file });
  }
  const parsed = RigConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = toIssues(parsed.error)
      .map((issue) => `${issue.path}: ${issue.message}`)
      .join('; ');
    return err('config_invalid', detail, { file });
  }
  return ok(parsed.data);
}
