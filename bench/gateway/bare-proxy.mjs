// The floor for bench/gateway/escalation-latency.ts (RIGMIND_BENCH_GATEWAY_PROCESS=bare-proxy): a Node HTTP
// server that does nothing a gateway must do. For every POST it sends one fixed Messages API body (the prompt the
// real gateway would send for the bench's escalation, from RIGMIND_BENCH_UPSTREAM_BODY) to the stand-in over an
// undici keep-alive pool and returns the reply. No signature, validation, redaction, limits, budget, SQLite,
// audit, SDK or logs: what is left is the cost of one more process and one more HTTP hop on this machine.
// Speaks gateway-process.mjs's protocol: argv HOME CONFIG_JSON, one ready line, SIGUSR2 (a window starts: nothing
// to reset here, but the signal must not end the process), `stats` lines, exit on stdin end.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { Agent } from 'undici';

const configText = process.argv[3];
const apiKey = process.env.RIGMIND_GATEWAY_API_KEY;
const body = process.env.RIGMIND_BENCH_UPSTREAM_BODY;
if (configText === undefined || apiKey === undefined || body === undefined) {
  process.stderr.write(
    'usage: RIGMIND_GATEWAY_API_KEY=... RIGMIND_BENCH_UPSTREAM_BODY=... bare-proxy.mjs HOME CONFIG_JSON\n',
  );
  process.exit(2);
}
const origin = new URL(JSON.parse(configText).upstream.base_url).origin;
const agent = new Agent({ connections: 64 });
const headers = { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.method !== 'POST') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    agent.request({ origin, path: '/v1/messages', method: 'POST', headers, body }).then(
      async (upstream) => {
        const text = await upstream.body.text();
        response.writeHead(upstream.statusCode, { 'content-type': 'application/json' }).end(text);
      },
      (error) => {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, rigId: 'bare-proxy', secret: 'unused' })}\n`,
  );
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stats') process.stdout.write('{}\n');
});
const stop = () => {
  server.close();
  void agent.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.on('SIGUSR2', () => undefined);
