import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEgress, EgressRefusedError } from '@rigmind/gateway';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicStub, type AnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';

let stub: AnthropicStub | undefined;
let other: Server | undefined;
let otherHits = 0;
afterEach(async () => {
  await stub?.close();
  await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
  stub = undefined;
  other = undefined;
  otherHits = 0;
});

async function startOther(handler: (url: string) => { status: number; location?: string }): Promise<string> {
  other = createServer((req, res) => {
    otherHits += 1;
    const reply = handler(req.url ?? '');
    res.writeHead(reply.status, reply.location === undefined ? {} : { location: reply.location });
    res.end('other');
  });
  await new Promise<void>((resolve) => other?.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
}

describe('egress guard', () => {
  it('reaches the configured upstream and refuses any other origin before connecting', async () => {
    stub = await startAnthropicStub();
    const otherUrl = await startOther(() => ({ status: 200 }));
    const egress = createEgress(stub.url);
    try {
      const ok = await egress.fetch(`${stub.url}/v1/messages`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(ok.status).toBe(401);
      await expect(egress.fetch(`${otherUrl}/steal`)).rejects.toBeInstanceOf(EgressRefusedError);
      await expect(egress.fetch('http://localhost:9/x')).rejects.toBeInstanceOf(EgressRefusedError);
      expect(otherHits).toBe(0);
    } finally {
      await egress.close();
    }
  });

  it('refuses at the dispatcher too, so code that bypasses the fetch check still cannot get out', async () => {
    stub = await startAnthropicStub();
    const otherUrl = await startOther(() => ({ status: 200 }));
    const egress = createEgress(stub.url);
    try {
      await expect(egress.dispatcher.request({ origin: otherUrl, path: '/x', method: 'GET' })).rejects.toThrow(
        /egress/,
      );
      expect(otherHits).toBe(0);
    } finally {
      await egress.close();
    }
  });

  it('does not follow a redirect off the upstream', async () => {
    const otherUrl = await startOther((url) => (url === '/hop' ? { status: 200 } : { status: 302, location: '' }));
    // The "upstream" here redirects to another origin.
    const upstream = createServer((_req, res) => {
      res.writeHead(307, { location: `${otherUrl}/hop` });
      res.end();
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const egress = createEgress(upstreamUrl);
    try {
      await expect(egress.fetch(`${upstreamUrl}/v1/messages`)).rejects.toThrow();
      expect(otherHits).toBe(0);
    } finally {
      await egress.close();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });

  it('returns status, headers and body of an in-memory request, and aborts it on its signal', async () => {
    stub = await startAnthropicStub();
    const egress = createEgress(stub.url);
    try {
      const body = JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
      const ok = await egress.fetch(`${stub.url}/v1/messages?beta=true`, {
        method: 'post',
        body,
        headers: new Headers({
          'x-api-key': stub.apiKey,
          'anthropic-version': '2023-06-01',
          'content-type': 'application/json',
        }),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('request-id')).toMatch(/^req_stub_/);
      expect(((await ok.json()) as { type: string }).type).toBe('message');
      expect(stub.received.at(-1)).toMatchObject({ method: 'POST', path: '/v1/messages?beta=true', body });

      stub.script({ kind: 'hang' });
      const controller = new AbortController();
      const hung = egress.fetch(`${stub.url}/v1/messages`, {
        method: 'POST',
        body,
        headers: { 'x-api-key': stub.apiKey, 'anthropic-version': '2023-06-01' },
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 20);
      await expect(hung).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await egress.close();
    }
  });
});
