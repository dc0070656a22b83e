import { EscalationResponseSchema } from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { closesAfterEach } from '../../helpers/closes-after-each.js';
import { escalationBody, type Harness, startHarness } from '../gateway-harness.js';

const track = closesAfterEach();
const overloaded = { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' } as const;

describe('a rig revoked while its escalation is being delivered', () => {
  it('gets no further call after the backoff in which it was revoked: the escalation fails rig_revoked', async () => {
    let h: Harness | undefined;
    let revoked = false;
    // The revocation lands exactly in the first backoff of the delivery's retry loop (testConfig: 4 attempts).
    const sleep = async (ms: number): Promise<void> => {
      if (!revoked && h !== undefined) revoked = h.gateway.registry.revoke(h.rig.name);
      await new Promise((resolve) => setTimeout(resolve, ms));
    };
    h = track(await startHarness({ sleep }));
    h.stub.script(overloaded, overloaded, overloaded, overloaded);

    const response = await h.signed('POST', '/v1/escalations', escalationBody());
    const body = EscalationResponseSchema.parse(await response.json());

    expect(revoked).toBe(true);
    expect(h.stub.received).toHaveLength(1);
    expect(body.state).toBe('failed');
    expect(body.error?.code).toBe('rig_revoked');
    const stored = h.gateway.db.prepare('SELECT state FROM escalations WHERE id = ?').pluck().get(body.id);
    expect(stored).toBe('failed');
  });
});
