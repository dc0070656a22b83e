import { EventSchema, systemRuntime, type PlanStatus, type RigEvent, type Runtime } from '@rigmind/protocol';
import { EventSubscriber } from '../transport/zmq.js';
import type { BrainClient } from './brain-client.js';
import { fetchPlanStatus } from './plan-status.js';

/** What a waiting client sees (each event of the plan and each status poll), and how it waits between polls. */
export interface WaitHooks {
  readonly onEvent?: (event: RigEvent) => void;
  readonly onStatus?: (status: PlanStatus) => void;
  /** Sleeps between status polls; systemRuntime unless a test drives time. */
  readonly runtime?: Pick<Runtime, 'sleep'>;
}

/** A subscriber to the brain's events, connected before the plan is submitted so it misses less of it. */
export function subscribeEvents(pubEndpoint: string): EventSubscriber {
  const subscriber = new EventSubscriber();
  subscriber.connect(pubEndpoint);
  return subscriber;
}

/**
 * Wait until a plan is finished. Events arrive live on `subscriber` (from {@link subscribeEvents}, made before the
 * submit; this closes it); status is also polled, because a SUB socket may miss what was published before it
 * joined and a plan's end must never be missed.
 */
export async function waitForPlan(
  client: BrainClient,
  subscriber: EventSubscriber,
  planId: string,
  hooks: WaitHooks = {},
  pollMs = 500,
): Promise<PlanStatus> {
  const reading = (async () => {
    for await (const document of subscriber.documents()) {
      const parsed = EventSchema.safeParse(JSON.parse(document.json));
      if (parsed.success && parsed.data.plan_id === planId) hooks.onEvent?.(parsed.data);
    }
  })();
  try {
    for (;;) {
      // Counts while it runs (cheap for a plan of thousands of tasks); every task once it is done.
      const result = await client.request('status_request', { plan_id: planId, include_tasks: false });
      if (result.ok && result.value.kind === 'status_reply') {
        const status = result.value.plans[0];
        if (status !== undefined) {
          hooks.onStatus?.(status);
          if (status.state !== 'running') {
            const full = await fetchPlanStatus(client, planId);
            return full.ok ? full.value.status : status;
          }
        }
      } else if (!result.ok && result.code !== 'brain_unreachable') {
        throw new Error(`${result.code}: ${result.message}`);
      }
      await (hooks.runtime ?? systemRuntime).sleep(pollMs);
    }
  } finally {
    subscriber.close();
    await reading.catch(() => undefined);
  }
}
