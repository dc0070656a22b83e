import type { CardView } from './types.js';

/** The cards holding the instance of `model` on `gpu`: itself alone unless the model spans several cards. */
export function groupOf(cardOf: ReadonlyMap<number, CardView>, gpu: number, model: string): readonly number[] {
  return cardOf.get(gpu)?.groups[model] ?? [gpu];
}

/** Every card that must be freed to empty `gpus`: the cards themselves and the partners of any multi-card model. */
export function freeingSet(cardOf: ReadonlyMap<number, CardView>, gpus: readonly number[]): number[] {
  const out = new Set<number>();
  for (const gpu of gpus) {
    const card = cardOf.get(gpu);
    if (card === undefined) continue;
    if (card.models.length > 0) out.add(gpu);
    for (const model of card.models) for (const member of groupOf(cardOf, gpu, model)) out.add(member);
  }
  return [...out].sort((a, b) => a - b);
}
