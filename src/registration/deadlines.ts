/** A min-heap of (time, id) deadlines: the registration service's one timer always waits for its top. */

/** One deadline; entries may be stale (the registration was renewed since): the caller re-checks. */
export interface Deadline {
  readonly at: number;
  readonly id: string;
}

/** Binary min-heap ordered by `at`. */
export class DeadlineHeap {
  private readonly items: Deadline[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest deadline, if any. */
  peek(): Deadline | undefined {
    return this.items[0];
  }

  push(deadline: Deadline): void {
    const items = this.items;
    items.push(deadline);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= items[i]!.at) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest deadline. */
  pop(): Deadline | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && items[left]!.at < items[smallest]!.at) smallest = left;
      if (right < items.length && items[right]!.at < items[smallest]!.at) smallest = right;
      if (smallest === i) break;
      [items[smallest], items[i]] = [items[i]!, items[smallest]!];
      i = smallest;
    }
    return top;
  }

  /** Every deadline due at `now` (at <= now), earliest first. */
  popDue(now: number): Deadline[] {
    const due: Deadline[] = [];
    while (this.items.length > 0 && this.items[0]!.at <= now) due.push(this.pop()!);
    return due;
  }
}
