import { readFileSync } from 'node:fs';

/** One entry of `package-lock.json`'s `packages`: only the fields the walk reads. */
export interface LockEntry {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly link?: boolean;
  readonly resolved?: string;
  readonly dev?: boolean;
}

/** The lockfile's packages by path (`rig`, `node_modules/hono`, `node_modules/a/node_modules/b`). */
export type LockPackages = Readonly<Record<string, LockEntry>>;

/** What installing one workspace would bring, read from the lockfile rather than from a real install. */
export interface LockInstall {
  /** Lockfile paths installed, the workspace itself included. */
  readonly installed: ReadonlySet<string>;
  /** Package names, as a `node_modules/<name>` path ends. */
  readonly names: readonly string[];
  /** Non-optional dependencies the lockfile has no entry for (an install would fail): `at needs name`. */
  readonly missing: readonly string[];
}

/** The `packages` of the lockfile at `path`. */
export function readLockPackages(path: string): LockPackages {
  return (JSON.parse(readFileSync(path, 'utf8')) as { packages: LockPackages }).packages;
}

/**
 * What `npm ci --omit=dev --workspace <workspace>` installs: the workspace's dependencies, resolved the way node does
 * (nearest node_modules first), with their dependencies, optional and peer ones, transitively. Reading the lockfile
 * answers in milliseconds and offline, where a real install takes a minute and the registry.
 */
export function lockInstall(packages: LockPackages, workspace: string): LockInstall {
  const installed = new Set<string>();
  const missing: string[] = [];
  const visit = (at: string): void => {
    const entry = packages[at];
    if (entry === undefined || installed.has(at)) return;
    installed.add(at);
    if (entry.link === true && entry.resolved !== undefined) return visit(entry.resolved);
    const peerMeta = entry.peerDependenciesMeta ?? {};
    const peers = Object.keys(entry.peerDependencies ?? {}).filter((name) => peerMeta[name]?.optional !== true);
    const optional = Object.keys(entry.optionalDependencies ?? {});
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...optional, ...peers]) {
      let dir = at;
      let found: string | undefined;
      for (;;) {
        const candidate = `${dir === '' ? '' : `${dir}/`}node_modules/${name}`;
        if (packages[candidate] !== undefined) {
          found = candidate;
          break;
        }
        if (dir === '') break;
        const cut = dir.lastIndexOf('/node_modules/');
        dir = cut < 0 ? '' : dir.slice(0, cut);
      }
      if (found !== undefined) visit(found);
      else if (!optional.includes(name)) missing.push(`${at} needs ${name}`);
    }
  };
  visit(workspace);
  const prefix = 'node_modules/';
  const names = [...installed].map((path) => path.slice(path.lastIndexOf(prefix) + prefix.length || 0));
  return { installed, names, missing };
}
