import type { HeldCard, RigEvent } from '@rigmind/protocol';

/**
 * The worker's cards its thermal guard holds, followed from the guard's own gpu_thermal reports: held from `hot`
 * until `cooled`, each later reading (an alert, a throttle change) keeping the temperature current. The worker puts
 * them in every register, because the guard says `hot` once per excursion and a brain that forgot the worker (it
 * reaped it, or restarted) would otherwise count a card free that is still too hot.
 */
export class HeldCards {
  readonly #cards = new Map<number, HeldCard>();

  /** Follow one reported event; anything but a card's gpu_thermal changes nothing. */
  note(event: RigEvent): void {
    if (event.event_type !== 'gpu_thermal' || event.gpu_id == null) return;
    const gpu = event.gpu_id;
    const kind = event.detail?.['kind'];
    const reading = event.detail?.['temperature_c'];
    const temperature = typeof reading === 'number' ? reading : null;
    const known = this.#cards.get(gpu);
    if (kind === 'cooled') this.#cards.delete(gpu);
    else if (kind === 'hot') {
      const stop = event.detail?.['stop_at_c'];
      const resume = event.detail?.['resume_below_c'];
      this.#cards.set(gpu, {
        gpu,
        temperature_c: temperature,
        ...(typeof stop === 'number' ? { stop_at_c: stop } : {}),
        ...(typeof resume === 'number' ? { resume_below_c: resume } : {}),
      });
    } else if (known !== undefined)
      this.#cards.set(gpu, { ...known, temperature_c: temperature ?? known.temperature_c });
  }

  /** The cards held now, by index. */
  list(): HeldCard[] {
    return [...this.#cards.values()].sort((a, b) => a.gpu - b.gpu);
  }
}
