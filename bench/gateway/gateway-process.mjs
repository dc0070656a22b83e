// The gateway as its own process, for bench/gateway/escalation-latency.ts. Plain JavaScript so the same file runs
// the compiled gateway (`node gateway-process.mjs`: @rigmind/gateway resolves to gateway/dist) or its source
// (`node -C source --import tsx gateway-process.mjs`). Logs go to stderr at info, as under systemd.
// argv[2]: the state folder; argv[3]: config.json's content. RIGMIND_GATEWAY_API_KEY: the stand-in's key.
// Prints one JSON line ({ url, rigId, secret }) once it listens; stops when stdin closes (so it never outlives
// the bench) or on SIGTERM. SIGUSR2 starts a measured window; the stdin line `stats` prints one JSON line about it
// (event-loop delay, time inside the gateway, garbage collections), so the bench can say where a slow request's
// time went. The window starts by signal, not by a line on stdin: reading a pipe through the same stream code as
// the gateway's sockets deoptimized that code (V8 "wrong map") at the start of every measured window, and V8 then
// recompiled it during the window, on a core the measured processes needed.
import { subscribe } from 'node:diagnostics_channel';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createGateway, createGatewayLogger, GatewayConfigSchema, listenGateway } from '@rigmind/gateway';

const [home, configText] = process.argv.slice(2);
const apiKey = process.env.RIGMIND_GATEWAY_API_KEY;
if (home === undefined || configText === undefined || apiKey === undefined) {
  process.stderr.write('usage: RIGMIND_GATEWAY_API_KEY=... gateway-process.mjs HOME CONFIG_JSON\n');
  process.exit(2);
}
const config = GatewayConfigSchema.parse(JSON.parse(configText));
const gateway = createGateway({ home, config, apiKey, logger: createGatewayLogger({ level: 'info' }) });
const added = gateway.registry.add('bench');
if (!added.ok) throw new Error(added.message);
const running = await listenGateway(gateway, '127.0.0.1', 0);

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
// A 20 ms timer's intervals: how long the event loop was kept from running it beyond 20 ms. Not 1 ms: a timer
// every millisecond woke the gateway's thread ~5 times per escalation, which the systemd unit never does, and cost
// it ~0.1 ms of CPU per escalation (~10%) in the bench.
const LOOP_RESOLUTION_MS = 20;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loop.enable();
let gc = { count: 0, ms: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.ms += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
// Inside the gateway: from Node's 'request' event to the response's last byte handed to the socket. What the
// bench sees on top of this is the sockets and the wait for a core.
let inside = createHistogram();
const started = new WeakMap();
subscribe('http.server.request.start', ({ request }) => started.set(request, process.hrtime.bigint()));
subscribe('http.server.response.finish', ({ request }) => {
  const at = started.get(request);
  if (at !== undefined) inside.record(Number(process.hrtime.bigint() - at) || 1);
});
process.on('SIGUSR2', () => {
  loop.reset();
  inside = createHistogram();
  gc = { count: 0, ms: 0, maxMs: 0 };
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stats') {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const delay = (ns) => Math.max(0, Math.round(ns / 1e4 - LOOP_RESOLUTION_MS * 100) / 100);
    const stats = {
      loop_delay_p99_ms: delay(loop.percentile(99)),
      loop_delay_max_ms: delay(loop.max),
      inside_p50_ms: ms(inside.percentile(50)),
      inside_p99_ms: ms(inside.percentile(99)),
      gc_count: gc.count,
      gc_ms: Math.round(gc.ms),
      gc_max_ms: Math.round(gc.maxMs * 100) / 100,
    };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  }
});
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdout.write(`${JSON.stringify({ url: running.url, rigId: added.value.rigId, secret: added.value.secret })}\n`);
