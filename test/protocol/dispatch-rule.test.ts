import {
  createMessage,
  DISPATCH_RULE,
  encodeMessage,
  maySend,
  parseMessage,
  RoleSchema,
  WORKER_COMMANDS,
  type MessageKind,
  type Role,
} from '@rigmind/protocol';
import { describe, expect, it } from 'vitest';
import { sampleMessages } from './sample-messages.js';

const roles: readonly Role[] = RoleSchema.options;

describe('the dispatch rule', () => {
  it.each(WORKER_COMMANDS)('gives the worker command %s to the brain alone', (kind) => {
    expect(DISPATCH_RULE[kind]).toEqual(['brain']);
    expect(roles.filter((role) => maySend(role, kind))).toEqual(['brain']);
  });

  it('lets the gateway send only advice', () => {
    const kinds = Object.keys(DISPATCH_RULE) as MessageKind[];
    expect(kinds.filter((kind) => maySend('gateway', kind))).toEqual(['advice']);
  });

  it('names at least one sender for every kind', () => {
    for (const senders of Object.values(DISPATCH_RULE)) expect(senders.length).toBeGreaterThan(0);
  });
});

describe('parseMessage enforces the dispatch rule', () => {
  const samples = sampleMessages();

  it.each(
    WORKER_COMMANDS.flatMap((kind) => (['worker', 'client', 'gateway'] as const).map((role) => [kind, role] as const)),
  )("refuses '%s' from a %s with dispatch_forbidden", (kind, role) => {
    const forged = { ...samples[kind], sender: { role, id: `${role}-1` } };
    const parsed = parseMessage(encodeMessage(forged));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe('dispatch_forbidden');
    expect(parsed.error.issues[0]?.path).toBe('sender.role');
  });

  it('names the forbidden command even when its body is garbage', () => {
    const frame = JSON.stringify({ v: 1, sender: { role: 'worker', id: 'w1' }, kind: 'dispatch', task: 'rm -rf /' });
    const parsed = parseMessage(frame);
    expect(parsed.ok === false && parsed.error.code).toBe('dispatch_forbidden');
  });

  it('accepts every kind from each role the rule allows and refuses it from every other role', () => {
    for (const [kind, message] of Object.entries(samples)) {
      for (const role of roles) {
        const parsed = parseMessage(encodeMessage({ ...message, sender: { role, id: 'x' } }));
        const allowed = maySend(role, kind as MessageKind);
        expect(parsed.ok, `${role} sending ${kind}`).toBe(allowed);
        if (!allowed && !parsed.ok) expect(parsed.error.code).toBe('dispatch_forbidden');
      }
    }
  });

  it("refuses a brain's message at a receiver that does not listen to the brain", () => {
    const brain = { role: 'brain', id: 'brain' } as const;
    const ack = createMessage('ack', brain, { detail: 'ok', affected: [] });
    const parsed = parseMessage(encodeMessage(ack), { from: ['worker'] });
    expect(parsed.ok === false && parsed.error.code).toBe('unexpected_sender');
  });
});
