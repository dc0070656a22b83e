import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { verifyAudit } from '@rigmind/gateway';
import { SIGNATURE_HEADERS, signRequest } from '@rigmind/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { escalationBody, startHarness, testConfig, type Harness } from '../gateway-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function errorCode(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error.code;
}

function headersFor(
  h: Harness,
  method: string,
  path: string,
  body: string,
  now = Date.now(),
  nonce = randomUUID(),
): Record<string, string> {
  return signRequest({ rigId: h.rig.rigId, secret: h.rig.secret, method, pathWithQuery: path, body, now, nonce });
}

describe('signed requests', () => {
  it('lets a signed request through; refuses unsigned, wrongly signed, stale and replayed ones with 401', async () => {
    harness = await startHarness();
    const h = harness;
    const url = `${h.server.url}/v1/reports/cost`;

    expect((await h.signed('GET', '/v1/reports/cost')).status).toBe(200);

    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(401);
    expect(await errorCode(unsigned)).toBe('unsigned');

    const wrong = headersFor(h, 'GET', '/v1/reports/cost', '');
    wrong[SIGNATURE_HEADERS.signature] =
      signRequest({
        rigId: h.rig.rigId,
        secret: 'not-the-secret',
        method: 'GET',
        pathWithQuery: '/v1/reports/cost',
        body: '',
        now: Number(wrong[SIGNATURE_HEADERS.timestamp]),
        nonce: wrong[SIGNATURE_HEADERS.nonce] ?? '',
      })[SIGNATURE_HEADERS.signature] ?? '';
    const wrongResponse = await fetch(url, { headers: wrong });
    expect(wrongResponse.status).toBe(401);
    expect(await errorCode(wrongResponse)).toBe('bad_signature');

    // Signed for another path: the signature covers the path with its query.
    const otherPath = await fetch(`${url}?group_by=model`, { headers: headersFor(h, 'GET', '/v1/reports/cost', '') });
    expect(await errorCode(otherPath)).toBe('bad_signature');

    const stalePast = await fetch(url, {
      headers: headersFor(h, 'GET', '/v1/reports/cost', '', Date.now() - 6 * 60_000),
    });
    expect(stalePast.status).toBe(401);
    expect(await errorCode(stalePast)).toBe('stale_request');
    const staleFuture = await fetch(url, {
      headers: headersFor(h, 'GET', '/v1/reports/cost', '', Date.now() + 6 * 60_000),
    });
    expect(await errorCode(staleFuture)).toBe('stale_request');

    const once = headersFor(h, 'GET', '/v1/reports/cost', '');
    expect((await fetch(url, { headers: once })).status).toBe(200);
    const replay = await fetch(url, { headers: once });
    expect(replay.status).toBe(401);
    expect(await errorCode(replay)).toBe('replayed_request');

    // The nonce is kept durably: a restart does not reopen the window.
    await h.restart();
    const replayAfterRestart = await fetch(`${h.server.url}/v1/reports/cost`, { headers: once });
    expect(await errorCode(replayAfterRestart)).toBe('replayed_request');
  });

  it('refuses a body that differs from the signed one, a rotated secret, and a revoked rig', async () => {
    harness = await startHarness();
    const h = harness;
    const body = JSON.stringify(escalationBody());
    const headers = headersFor(h, 'POST', '/v1/escalations', body);
    const tampered = await fetch(`${h.server.url}/v1/escalations`, {
      method: 'POST',
      headers,
      body: body.replace('three', 'ten'),
    });
    expect(tampered.status).toBe(401);
    expect(await errorCode(tampered)).toBe('body_mismatch');
    expect(h.stub.received).toHaveLength(0);

    // A rotated secret: the old one is refused from the next request, the new one signs for the same rig.
    const rotated = h.gateway.registry.rotate('rig-a');
    if (!rotated.ok) throw new Error(rotated.message);
    expect(rotated.value.rigId).toBe(h.rig.rigId);
    const old = await h.signed('GET', '/v1/reports/cost');
    expect(old.status).toBe(401);
    expect(await errorCode(old)).toBe('bad_signature');
    expect(
      (await h.signed('GET', '/v1/reports/cost', undefined, { ...h.rig, secret: rotated.value.secret })).status,
    ).toBe(200);

    expect(h.gateway.registry.revoke('rig-a')).toBe(true);
    const revoked = await h.signed('GET', '/v1/reports/cost');
    expect(revoked.status).toBe(401);
    expect(await errorCode(revoked)).toBe('unknown_rig');
  });

  it('answers /healthz without authentication and says nothing else', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('a flood of unauthenticated requests', () => {
  it('is refused in full but recorded one by one only up to the allowance per minute, then counted', async () => {
    harness = await startHarness({
      config: (upstream) => testConfig(upstream, { auth: { refusals_recorded_per_minute: 5 } }),
    });
    const h = harness;
    const refusals = (
      db: Pick<Database.Database, 'prepare'> = h.gateway.db,
    ): { code: string; address?: string; count?: number }[] =>
      (
        db.prepare("SELECT detail FROM audit WHERE kind = 'request_refused' ORDER BY seq").all() as {
          detail: string;
        }[]
      ).map((row) => JSON.parse(row.detail) as { code: string });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const response = await fetch(`${h.server.url}/v1/reports/cost`, {
        headers: { [SIGNATURE_HEADERS.rig]: h.rig.rigId },
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses.every((status) => status === 401)).toBe(true);
    // A rig on the same address is not shut out by the flood.
    expect((await h.signed('GET', '/v1/reports/cost')).status).toBe(200);
    expect(refusals()).toHaveLength(5);
    expect(refusals().every((detail) => detail.code === 'unsigned' && detail.address === '127.0.0.1')).toBe(true);
    expect(h.logs.lines.filter((line) => (JSON.parse(line) as { msg: string }).msg === 'request refused')).toHaveLength(
      5,
    );

    // Stopping the gateway records the count of the window still open.
    await h.server.close();
    expect(h.gateway.db.open).toBe(false);
    const reopened = new Database(join(h.home, 'gateway.db'), { readonly: true });
    const details = refusals(reopened);
    expect(verifyAudit(reopened).ok).toBe(true);
    reopened.close();
    expect(details).toHaveLength(6);
    expect(details[5]).toMatchObject({ code: 'refusals_suppressed', address: '127.0.0.1', count: 15 });
    expect(
      h.logs.lines.some(
        (line) => line.includes('refusals counted, not recorded one by one') && line.includes('"count":15'),
      ),
    ).toBe(true);
  });
});
