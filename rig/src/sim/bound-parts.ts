/** Work that becomes possible at `release`, takes `work` machine-seconds, and is followed by a chain of `tail` s. */
export interface ReleasedWork {
  readonly release: number;
  readonly work: number;
  readonly tail: number;
}

/**
 * The arrival bound on `capacity` identical machines: for any set S of these tasks, none starts before the earliest
 * release in S, their work needs at least work(S) / capacity of wall time, and whichever of them ends last is
 * followed by at least the shortest tail in S. Taking S as "every task released at or after t" for each t gives
 * max over t of t + work(S) / capacity + min tail(S).
 */
export function releaseBound(items: readonly ReleasedWork[], capacity: number): number {
  const sorted = [...items].sort((a, b) => b.release - a.release);
  let work = 0;
  let tail = Number.POSITIVE_INFINITY;
  let best = 0;
  for (const item of sorted) {
    work += item.work;
    tail = Math.min(tail, item.tail);
    best = Math.max(best, item.release + work / capacity + tail);
  }
  return best;
}

/** One model's share of the GPU work, for the capacity bound. */
export interface ModelWork {
  /** Cards one instance spans. */
  readonly cards: number;
  readonly loadS: number;
  /** An LLM loads only on an empty card, so a card's second LLM load needs an unload first. */
  readonly llm: boolean;
  /** Card-seconds of its tasks. */
  readonly cardWorkS: number;
  /** The earliest any of its tasks can start. */
  readonly firstS: number;
  /** The shortest chain of work after any of its tasks. */
  readonly lastTailS: number;
}

const BISECTIONS = 100;

/**
 * The smallest makespan T for which the cards have room for all the GPU work and the loads it needs by T.
 *
 * A load of model m on a card serves m's work from its end, at the earliest m's first possible start, to T minus
 * m's shortest tail: at most `T - firstS - lastTailS` card-seconds. So finishing m's `cardWorkS` by T takes at
 * least max(cards, ceil(cardWorkS / that)) card-loads, each `loadS` of card time. A card's LLM loads after its
 * first each need an unload before them. Every card does one thing at a time, so
 * `cards x T >= work + loads + unloads`. The right side only shrinks as T grows: bisect for the least T that holds.
 */
export function gpuCapacityBound(
  cardWorkS: number,
  models: readonly ModelWork[],
  cards: number,
  unloadS: number,
): number {
  if (cardWorkS <= 0 && models.length === 0) return 0;
  const holds = (span: number): boolean => {
    let need = cardWorkS;
    let llmLoads = 0;
    for (const model of models) {
      const window = span - model.firstS - model.lastTailS;
      if (window <= 0) return false;
      // The small slack keeps a quotient that is whole up to rounding from counting one load too many.
      const loads = Math.max(model.cards, Math.ceil(model.cardWorkS / window - 1e-9));
      need += loads * model.loadS;
      if (model.llm) llmLoads += loads;
    }
    need += unloadS * Math.max(0, llmLoads - cards);
    return cards * span >= need;
  };
  let high = 1;
  for (let doubling = 0; doubling < 200 && !holds(high); doubling += 1) high *= 2;
  let low = 0;
  for (let step = 0; step < BISECTIONS; step += 1) {
    const mid = (low + high) / 2;
    if (holds(mid)) high = mid;
    else low = mid;
  }
  // `low` fails, so the least T that holds is above it: `low` is still a bound, by less than a nanosecond.
  return low;
}
