import type { RigEvent } from '@rigmind/protocol';
import { z } from 'zod';
import type { GpuSample } from './gpu-sample.js';
import { BENIGN_THROTTLE_REASONS, type ThrottleReason } from './throttle-reasons.js';

/**
 * The guard's thresholds in °C. Defaults from the seed: the 1060s target 83 C (the driver throttles to stay
 * below), the alert is "GPU temperature > 85°C", and 78 C is where the hot cards (1 and 2) sit under
 * sustained load, so a card that reached 83 rests until it is back under its normal working heat.
 */
export const ThermalThresholdsSchema = z
  .strictObject({
    stop_at_c: z.number().default(83),
    resume_below_c: z.number().default(78),
    alert_at_c: z.number().default(85),
  })
  .refine((t) => t.resume_below_c < t.stop_at_c, {
    error: 'resume_below_c must be below stop_at_c, or a card would flap',
  });
/** Thermal thresholds. */
export type ThermalThresholds = z.infer<typeof ThermalThresholdsSchema>;

/** What the guard knows about one card. */
interface CardHeat {
  hot: boolean;
  alerted: boolean;
  reasons: ThrottleReason[];
}

/** Options for {@link ThermalGuard}. */
export interface ThermalGuardOptions {
  readonly thresholds?: Partial<ThermalThresholds>;
  readonly workerId?: string;
}

/**
 * Pure logic over samples: which cards may take new work, and the gpu_thermal events that say why.
 * At or above stop_at_c a card takes no new work until it is below resume_below_c (hysteresis, so a card
 * at 82-83 does not flap). At or above alert_at_c one alert per excursion; the alert re-arms when the card
 * cools below resume_below_c. Non-benign throttle reasons are reported when their set changes.
 * A sample without a temperature changes nothing: a card is not declared cool on a missing reading.
 */
export class ThermalGuard {
  readonly thresholds: ThermalThresholds;
  readonly #workerId: string | undefined;
  readonly #cards = new Map<number, CardHeat>();

  constructor(options: ThermalGuardOptions = {}) {
    this.thresholds = ThermalThresholdsSchema.parse(options.thresholds ?? {});
    this.#workerId = options.workerId;
  }

  /** Whether card `index` may take new work. A card never observed is allowed. */
  accepting(index: number): boolean {
    return !(this.#cards.get(index)?.hot ?? false);
  }

  /** Feed one sample taken at `at` (ms since the epoch); returns the events it causes, in order. */
  observe(sample: GpuSample, at: number): RigEvent[] {
    const card = this.#cards.get(sample.index) ?? { hot: false, alerted: false, reasons: [] };
    this.#cards.set(sample.index, card);
    const events: RigEvent[] = [];
    const { stop_at_c: stopAt, resume_below_c: resumeBelow, alert_at_c: alertAt } = this.thresholds;
    const emit = (detail: Record<string, unknown>, error?: string): void => {
      events.push({
        timestamp: new Date(at).toISOString(),
        event_type: 'gpu_thermal',
        gpu_id: sample.index,
        ...(this.#workerId === undefined ? {} : { worker_id: this.#workerId }),
        ...(error === undefined ? {} : { error }),
        detail: { ...detail, temperature_c: sample.temperature_c },
      });
    };

    const temperature = sample.temperature_c;
    if (temperature !== null) {
      if (!card.hot && temperature >= stopAt) {
        card.hot = true;
        emit({ kind: 'hot', stop_at_c: stopAt, resume_below_c: resumeBelow });
      }
      if (!card.alerted && temperature >= alertAt) {
        card.alerted = true;
        emit({ kind: 'alert', alert_at_c: alertAt }, `gpu ${sample.index} at ${temperature} C (alert at ${alertAt} C)`);
      }
      if (temperature < resumeBelow) {
        if (card.hot) emit({ kind: 'cooled', resume_below_c: resumeBelow });
        card.hot = false;
        card.alerted = false;
      }
    }

    if (sample.throttle_reasons !== null) {
      const reasons = sample.throttle_reasons.filter((reason) => !BENIGN_THROTTLE_REASONS.has(reason));
      const added = reasons.filter((reason) => !card.reasons.includes(reason));
      const cleared = card.reasons.filter((reason) => !reasons.includes(reason));
      if (added.length > 0 || cleared.length > 0) emit({ kind: 'throttle', reasons, added, cleared });
      card.reasons = reasons;
    }
    return events;
  }
}
