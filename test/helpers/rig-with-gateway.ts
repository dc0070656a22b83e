import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageOf, Plan } from '@rigmind/protocol';
import type { Harness } from '../gateway/gateway-harness.js';
import { RigHarness } from './rig-harness.js';

/**
 * A rig home whose config sends escalations to the test gateway `gw` (or to `url`), with fast retries, plus any
 * other config in `extra`.
 */
export function rigFor(
  gw: Harness,
  url = gw.server.url,
  escalation: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): RigHarness {
  const harness = new RigHarness({
    extraConfig: {
      ...extra,
      escalation: {
        gateway_url: url,
        rig_id: gw.rig.rigId,
        secret_file: 'keys/gateway.secret',
        after_failures: 2,
        retry_base_ms: 100,
        retry_cap_ms: 400,
        ...escalation,
      },
    },
  });
  mkdirSync(join(harness.home, 'keys'), { recursive: true });
  writeFileSync(join(harness.home, 'keys', 'gateway.secret'), gw.rig.secret, { mode: 0o600 });
  return harness;
}

/** Submit a plan to the harness's brain; its plan id. */
export async function submit(harness: RigHarness, plan: Plan): Promise<string> {
  const result = await harness.client.request('submit_plan', { plan });
  if (!result.ok) throw new Error(`refused: ${result.message}`);
  return (result.value as MessageOf<'plan_accepted'>).plan_id;
}
