import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RigConfigSchema, toIssues, type RigConfig } from '@rigmind/protocol';

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

/** A config file that could not be used, as a value naming the file and the fields. */
export interface ConfigProblem {
  readonly file: string;
  readonly message: string;
}

/** Read config.json under the home; a missing file means all defaults. */
export function loadRigConfig(home: RigHome): { ok: true; config: RigConfig } | { ok: false; problem: ConfigProblem } {
  let text: string;
  try {
    text = readFileSync(home.configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, config: RigConfigSchema.parse({}) };
    return { ok: false, problem: { file: home.configPath, message: (error as Error).message } };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: { file: home.configPath, message: `not JSON: ${(error as Error).message}` } };
  }
  const parsed = RigConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = toIssues(parsed.error).map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    return { ok: false, problem: { file: home.configPath, message: detail } };
  }
  return { ok: true, config: parsed.data };
}
