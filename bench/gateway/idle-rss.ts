// Idle resident memory of `rigmind-gateway serve`, the way it really runs: the CLI from gateway/dist (plain, and
// with the systemd unit's flags) and from source through tsx (gateway/bin/gateway.js). Each is started on a
// fresh home against a closed local port as upstream (it is never called), sent 50 GET /healthz, left idle for
// a second, measured (Linux /proc) and stopped. Build first: npx tsc -b gateway.
// Run: node -C source --import tsx bench/gateway/idle-rss.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

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

async function measure(args: string[]): Promise<{ rss_mb: number; children_rss_mb: number }> {
  const home = mkdtempSync(join(tmpdir(), 'rigmind-rss-'));
  const price = { effective_from: '2020-01-01', input: 3, output: 15, cache_write_5m: 3.75, cache_write_1h: 6, cache_read: 0.3 };
  writeFileSync(
    join(home, 'config.json'),
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { base_url: 'http://127.0.0.1:9' },
      models: { allowed: ['m'], default: 'm' },
      budgets: { overall: { daily_usd: 1, monthly_usd: 1 }, per_rig: { daily_usd: 1, monthly_usd: 1 } },
      prices: { version: 'rss', models: { m: [price] } },
    }),
  );
  const child = spawn(process.execPath, [...args, '--home', home, 'serve'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, RIGMIND_GATEWAY_API_KEY: 'sk-ant-unused-0000000000000000', RIGMIND_GATEWAY_LOG_LEVEL: 'info' },
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
    const childKb = children(pid).reduce((sum, id) => sum + rssKb(id), 0);
    return { rss_mb: Math.round(rssKb(pid) / 1024), children_rss_mb: Math.round(childKb / 1024) };
  } finally {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Measure every mode, one after the other. */
export async function run(): Promise<{ name: string; metrics: Record<string, number> }> {
  const metrics: Record<string, number> = {};
  for (const [mode, args] of Object.entries(MODES)) {
    const { rss_mb, children_rss_mb } = await measure(args);
    metrics[`${mode}_idle_rss_mb`] = rss_mb;
    if (children_rss_mb > 0) metrics[`${mode}_children_rss_mb`] = children_rss_mb;
  }
  return { name: 'gateway-idle-rss', metrics };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
}
