import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAnthropicStub } from '../../fixtures/anthropic-stub/anthropic-stub.js';
import { escalationBody, patientOutboxConfig, quietOutboxConfig, startHarness } from '../../gateway/gateway-harness.js';
import type { RigHarness } from '../../helpers/rig-harness.js';
import { rigFor } from '../../helpers/rig-with-gateway.js';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { freePort, pipeTo } from '../../helpers/loopback.js';
import { boundFor } from '../../helpers/process-start.js';

const track = closesAfterEach();

function requestFile(harness: RigHarness, body: unknown, name = 'request.json'): string {
  const path = join(harness.home, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}

describe('rigmind escalate --file and --id', () => {
  it('prints the advice, or the response as JSON; bad files and mixed modes are refused, naming what is wrong', {
    timeout: boundFor(8),
  }, async () => {
    const gateway = track(
      await startHarness({ stub: { reply: () => JSON.stringify({ type: 'answer', text: 'the advice, in text' }) } }),
    );
    const rig = track(rigFor(gateway));
    const file = requestFile(rig, escalationBody());
    const text = await rig.run(['escalate', '--file', file]);
    expect(text).toMatchObject({ exitCode: 0, stdout: 'the advice, in text' });
    const json = await rig.run(['escalate', '--file', file, '--json']);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      state: 'completed',
      proposed_by: 'gateway',
      advice: { type: 'answer', text: 'the advice, in text' },
    });
    // Two runs of a file without a key are two requests (each run makes its own key).
    expect(gateway.stub.received).toHaveLength(2);

    const invalid = await rig.run([
      'escalate',
      '--file',
      requestFile(rig, escalationBody({ instructions: '' }), 'invalid.json'),
    ]);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toMatch(/invalid\.json: instructions: /);
    const broken = await rig.run(['escalate', '--file', requestFile(rig, '{"task": ', 'broken.json')]);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json: .*JSON/);
    const missing = await rig.run(['escalate', '--file', join(rig.home, 'nowhere.json')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('nowhere.json: ENOENT');
    const both = await rig.run(['escalate', 'some.task', '--file', file]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain(
      'give one of TASK_ID, --file REQUEST.json, --id ESCALATION_ID or --withdraw ESCALATION_ID',
    );
    const badKey = await rig.run(['escalate', '--file', file, '--idempotency-key', 'short']);
    expect(badKey.exitCode).toBe(2);
    expect(badKey.stderr).toContain('--idempotency-key: ');
    expect(gateway.stub.received).toHaveLength(2);
    for (const result of [invalid, broken, missing, both, badKey]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable gateway: exit 3 with the key to resend under; ' +
    'the resend is answered once however often it is sent', {
    timeout: boundFor(4),
  }, async () => {
    const gateway = track(await startHarness());
    const port = await freePort();
    const rig = track(rigFor(gateway, `http://127.0.0.1:${port}`));
    const file = requestFile(rig, escalationBody());
    const down = await rig.run(['escalate', '--file', file]);
    expect(down.exitCode).toBe(3);
    expect(down.stderr).toMatch(/^unreachable: gateway unreachable: .*; sending again in 1 s under the same key\n/);
    expect(down.stderr).toContain('sending again in 2 s under the same key');
    expect(down.stderr).toMatch(/\nrigmind: unreachable: gateway unreachable/);
    const key = /--idempotency-key (\S+)/.exec(down.stderr)?.[1];
    expect(key).toMatch(/^cli-[0-9a-f-]{36}$/);

    // The gateway comes back on that address.
    const target = Number(new URL(gateway.server.url).port);
    const relay = createServer((socket) => void pipeTo(socket, target));
    track(relay);
    await new Promise<void>((resolve) => relay?.listen(port, '127.0.0.1', resolve));
    for (let i = 0; i < 2; i += 1) {
      const resent = await rig.run(['escalate', '--file', file, '--idempotency-key', key as string, '--json']);
      expect(resent.exitCode).toBe(0);
      expect(JSON.parse(resent.stdout)).toMatchObject({ state: 'completed', advice: { type: 'answer' } });
    }
    expect(gateway.stub.received).toHaveLength(1);
    // A key that differs from the file's own is refused before anything is sent.
    const keyed = requestFile(rig, { ...escalationBody(), idempotency_key: 'file-key-0123456789' }, 'keyed.json');
    const clash = await rig.run(['escalate', '--file', keyed, '--idempotency-key', key as string]);
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toContain("idempotency_key is 'file-key-0123456789', but --idempotency-key gives");
  });

  const deferredTimeout = boundFor(5);
  it('an escalation the gateway defers: exit 3 naming it; --id follows it to the advice once upstream is back', {
    timeout: deferredTimeout,
  }, async () => {
    // Upstream is down across three CLI processes (each up to PROCESS_START_MS): the outbox must not give up on the
    // escalation before the test is over. Once upstream is back its next try is at most cap_ms (1 s) away, well
    // inside the 30 s the last process follows it by default, even at SATURATION_FACTOR times slower.
    const gateway = track(await startHarness({ config: patientOutboxConfig(deferredTimeout) }));
    const upstreamPort = gateway.stub.port;
    await gateway.stub.close();
    const rig = track(rigFor(gateway));
    const pending = await rig.run(['escalate', '--file', requestFile(rig, escalationBody()), '--wait', '1', '--json']);
    expect(pending.exitCode).toBe(3);
    const id = (JSON.parse(pending.stdout) as { id: string; state: string }).id;
    expect(JSON.parse(pending.stdout)).toEqual({ id, state: 'pending' });
    expect(pending.stderr).toMatch(
      new RegExp(
        `escalation ${id} is still pending at the gateway \\(its next try upstream is in about \\d+ s\\); ` +
          `follow it with:\n  rigmind escalate --id ${id}`,
      ),
    );
    const still = await rig.run(['escalate', '--id', id, '--wait', '0']);
    expect(still.exitCode).toBe(3);

    const revived = track(await startAnthropicStub({ port: upstreamPort }));
    const followed = await rig.run(['escalate', '--id', id]);
    expect(followed).toMatchObject({ exitCode: 0, stdout: 'stub answer' });
    expect(revived.received).toHaveLength(1);
    const unknown = await rig.run(['escalate', '--id', 'esc_unknown']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/^rigmind: refused: /);
  });

  it('--withdraw: an escalation waiting at the gateway is never delivered; a settled one is refused', {
    timeout: boundFor(6),
  }, async () => {
    const gateway = track(await startHarness({ config: quietOutboxConfig }));
    const rig = track(rigFor(gateway));
    const answered = await rig.run(['escalate', '--file', requestFile(rig, escalationBody()), '--json']);
    const answeredId = (JSON.parse(answered.stdout) as { id: string }).id;
    const settled = await rig.run(['escalate', '--withdraw', answeredId]);
    expect(settled.exitCode).toBe(1);
    expect(settled.stderr).toMatch(/settled: .*its result stands/);

    await gateway.stub.close();
    const pending = await rig.run([
      'escalate',
      '--file',
      requestFile(rig, escalationBody(), 'later.json'),
      '--wait',
      '0',
      '--json',
    ]);
    expect(pending.exitCode).toBe(3);
    const id = (JSON.parse(pending.stdout) as { id: string }).id;
    const withdrawn = await rig.run(['escalate', '--withdraw', id]);
    expect(withdrawn).toMatchObject({ exitCode: 0, stdout: `escalation ${id} withdrawn: it will not be delivered` });
    const followed = await rig.run(['escalate', '--id', id]);
    expect(followed.exitCode).toBe(1);
    expect(followed.stderr).toContain('failed: withdrawn by the rig before it was delivered');
  });
});
