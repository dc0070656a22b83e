/** A timed callback; ties run in the order they were pushed, so a run is deterministic. */
interface Timed {
  readonly atS: number;
  readonly seq: number;
  readonly run: () => void;
}

/** A binary min-heap of timed callbacks: the discrete-event simulator's agenda. */
export class EventQueue {
  readonly #heap: Timed[] = [];
  #seq = 0;

  /** Number of pending events. */
  get size(): number {
    return this.#heap.length;
  }

  /** Schedule `run` at `atS`. */
  push(atS: number, run: () => void): void {
    this.#heap.push({ atS, seq: this.#seq++, run });
    let i = this.#heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(this.#heap[i] as Timed, this.#heap[parent] as Timed)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Time of the next event, if any. */
  peekTime(): number | undefined {
    return this.#heap[0]?.atS;
  }

  /** Remove and return the next event. */
  pop(): Timed | undefined {
    const top = this.#heap[0];
    const last = this.#heap.pop();
    if (top === undefined || last === undefined || this.#heap.length === 0) return top;
    this.#heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < this.#heap.length && before(this.#heap[left] as Timed, this.#heap[least] as Timed)) least = left;
      if (right < this.#heap.length && before(this.#heap[right] as Timed, this.#heap[least] as Timed)) least = right;
      if (least === i) return top;
      this.#swap(i, least);
      i = least;
    }
  }

  #swap(a: number, b: number): void {
    const tmp = this.#heap[a] as Timed;
    this.#heap[a] = this.#heap[b] as Timed;
    this.#heap[b] = tmp;
  }
}

function before(a: Timed, b: Timed): boolean {
  return a.atS < b.atS || (a.atS === b.atS && a.seq < b.seq);
}
