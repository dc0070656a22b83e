// The Anthropic stand-in as its own process, for bench/gateway/escalation-latency.ts: prints one JSON line
// ({ url, apiKey }) once it listens, and exits when its stdin closes (so it never outlives the bench) or on SIGTERM.
import { startAnthropicStub } from '../../test/fixtures/anthropic-stub/anthropic-stub.js';

const stub = await startAnthropicStub();
let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  stub.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
// The stub keeps every request for tests to inspect; over a bench run that is only memory, so drop them.
const drain = setInterval(() => {
  stub.received.length = 0;
}, 1_000);
drain.unref();
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdout.write(`${JSON.stringify({ url: stub.url, apiKey: stub.apiKey })}\n`);
