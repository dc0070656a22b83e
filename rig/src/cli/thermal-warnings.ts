import { EventSchema, type RigEvent } from '@rigmind/protocol';
import { EventSubscriber } from '../transport/zmq.js';

/**
 * Follow the brain's gpu_thermal events and tell the person at the terminal: `rigmind up` runs its workers
 * --quiet, so a card held for heat or past its alert temperature would otherwise be news only in the logs.
 */
export function watchThermal(pubEndpoint: string, say: (line: string) => void): { close(): Promise<void> } {
  const subscriber = new EventSubscriber();
  subscriber.connect(pubEndpoint, ['gpu_thermal']);
  const reading = (async () => {
    for await (const document of subscriber.documents()) {
      const parsed = EventSchema.safeParse(JSON.parse(document.json));
      if (!parsed.success) continue;
      const line = thermalLine(parsed.data);
      if (line !== undefined) say(line);
    }
  })();
  return {
    close: async () => {
      subscriber.close();
      await reading.catch(() => undefined);
    },
  };
}

/** The terminal line for a thermal event, if it is one a person must see. */
export function thermalLine(event: RigEvent): string | undefined {
  if (event.event_type !== 'gpu_thermal') return undefined;
  const where = `gpu ${event.gpu_id ?? '?'} on ${event.worker_id ?? '?'}`;
  const temperature = event.detail?.['temperature_c'];
  const at = typeof temperature === 'number' ? ` at ${temperature} C` : '';
  const limit = (key: string) => String(event.detail?.[key] ?? '?');
  switch (event.detail?.['kind']) {
    case 'hot':
      return `rigmind: WARNING ${where}${at}: held, no new work until it is below ${limit('resume_below_c')} C`;
    case 'alert':
      return `rigmind: WARNING ${where}${at}: ALERT, above ${limit('alert_at_c')} C`;
    case 'cooled':
      return `rigmind: ${where}${at} cooled: takes work again`;
    default:
      return undefined;
  }
}
