// Idle resident memory of `rigmind-gateway serve`, the way it really runs: the CLI from gateway/dist (plain, and
// with the systemd unit's flags) and from source through tsx (gateway/bin/gateway.js). Each is started on a
// fresh home against a closed local port as upstream (it is never called), sent 50 GET /healthz, measured
// (Linux /proc) a second later (`*_start_rss_mb`) and again after a quiet spell (`*_idle_rss_mb`, default 35 s:
// what an idle gateway settles to, once V8 has given back start-up memory and a WAL checkpoint worker, had a burst
// of writes started one, has retired after its 30 s), and stopped. The three run side by side, so the bench takes
// one quiet spell. Build first: npx tsc -b gateway.
// RIGMIND_BENCH_IDLE_QUIET_MS changes the quiet spell.
// Run: node -C source --import tsx bench/gateway/idle-rss.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { BENCH_PRICE } from './bench-fixture.js';

const root = join(import.meta.dirname, '..', '..');
const MODES: Record<string, string[]> = {
  dist: [join(root, 'gateway/dist/cli/main.js')],
  dist_unit_flags: ['--max-semi-space-size=1', join(root, 'gateway/dist/cli/main.js')],
  source_tsx: [join(root, 'gateway/bin/gateway.js')],
};

function rssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/** Direct children of a process (tsx keeps an esbuild service running beside the gateway). */
function children(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

interface Rss {
  readonly start_rss_mb: number;
  readonly idle_rss_mb: number;
  readonly children_rss_mb: number;
}

async function measure(args: string[], quietMs: number): Promise<Rss> {
  const home = mkdtempSync(join(tmpdir(), 'rigmind-rss-'));
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { base_url: 'http://127.0.0.1:9' },
      models: { allowed: ['m'], default: 'm' },
      budgets: { overall: { daily_usd: 1, monthly_usd: 1 }, per_rig: { daily_usd: 1, monthly_usd: 1 } },
      prices: { version: 'rss', models: { m: [BENCH_PRICE] } },
    }),
  );
  const child = spawn(process.execPath, [...args, '--home', home, 'serve'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: {
      ...process.env,
      RIGMIND_GATEWAY_API_KEY: 'sk-ant-unused-0000000000000000',
      RIGMIND_GATEWAY_LOG_LEVEL: 'info',
    },
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gateway did not start within 60 s')), 60_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /listening on (\S+)/.exec(line);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`gateway exited (${code})`)));
    });
    for (let i = 0; i < 50; i += 1) await (await fetch(`${url}/healthz`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const pid = child.pid as number;
    const startKb = rssKb(pid);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, quietMs - 1_000)));
    const childKb = children(pid).reduce((sum, id) => sum + rssKb(id), 0);
    return {
      start_rss_mb: Math.round(startKb / 1024),
      idle_rss_mb: Math.round(rssKb(pid) / 1024),
      children_rss_mb: Math.round(childKb / 1024),
    };
  } finally {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Measure every mode, side by side. */
export async function run(
  quietMs = Number(process.env.RIGMIND_BENCH_IDLE_QUIET_MS ?? 35_000),
): Promise<{ name: string; metrics: Record<string, number> }> {
  const metrics: Record<string, number> = {};
  const modes = Object.entries(MODES);
  const measured = await Promise.all(modes.map(([, args]) => measure(args, quietMs)));
  modes.forEach(([mode], index) => {
    const rss = measured[index] as Rss;
    metrics[`${mode}_idle_rss_mb`] = rss.idle_rss_mb;
    metrics[`${mode}_start_rss_mb`] = rss.start_rss_mb;
    if (rss.children_rss_mb > 0) metrics[`${mode}_children_rss_mb`] = rss.children_rss_mb;
  });
  metrics.quiet_s = Math.round(quietMs / 1000);
  return { name: 'gateway-idle-rss', metrics };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
}
