/**
 * A persistent (immutable, structurally shared) string-keyed map, iterated in key order, with an
 * optional weight total kept up to date as entries change. The catalog keeps its merged services and
 * each source's records in these, so a batch that touches k of N services costs O(k log k + N/64 + 64)
 * instead of copying and re-sorting N entries (two levels: a root array of sorted leaves of ≤ 128
 * entries; an update copies the root array and the leaves it touches, and shares every other leaf).
 */

/** Entries per leaf after a split; a leaf is split above twice this and merged below a quarter of it. */
const LEAF = 64;

interface Leaf<V> {
  readonly keys: readonly string[];
  readonly values: readonly V[];
  /** Sum of `measure(value)` over the leaf. */
  readonly weight: number;
}

/** Orders like the `<` operator on strings (UTF-16 code units), as the catalog always sorted keys. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An immutable sorted map; `update` returns a new map sharing every untouched leaf with this one. */
export class SortedMap<V> implements ReadonlyMap<string, V> {
  readonly size: number;
  /** Sum of `measure(value)` over every entry (0 without a measure). */
  readonly weight: number;
  readonly #leaves: readonly Leaf<V>[];
  readonly #measure: ((value: V) => number) | undefined;

  private constructor(
    leaves: readonly Leaf<V>[],
    measure: ((value: V) => number) | undefined,
    size: number,
    weight: number,
  ) {
    this.#leaves = leaves;
    this.#measure = measure;
    this.size = size;
    this.weight = weight;
  }

  /** An empty map; `measure` gives each value's share of `weight`. */
  static empty<V>(measure?: (value: V) => number): SortedMap<V> {
    return new SortedMap<V>([], measure, 0, 0);
  }

  /** A map of `entries` (any order; the last of equal keys wins). */
  static from<V>(entries: Iterable<readonly [string, V]>, measure?: (value: V) => number): SortedMap<V> {
    return SortedMap.empty(measure).update(entries);
  }

  /** `map` itself when it already is a SortedMap with this measure, else a SortedMap of its entries. */
  static of<V>(map: ReadonlyMap<string, V>, measure?: (value: V) => number): SortedMap<V> {
    if (map instanceof SortedMap && (map as SortedMap<V>).#measure === measure) return map as SortedMap<V>;
    return SortedMap.from(map, measure);
  }

  /** True when `weight` sums `measure` (the function given at creation). */
  measuredBy(measure: (value: V) => number): boolean {
    return this.#measure === measure;
  }

  get(key: string): V | undefined {
    const leaf = this.#leaves[this.#leafOf(key)];
    if (leaf === undefined) return undefined;
    const i = indexIn(leaf.keys, key);
    return i < 0 ? undefined : leaf.values[i];
  }

  has(key: string): boolean {
    const leaf = this.#leaves[this.#leafOf(key)];
    return leaf !== undefined && indexIn(leaf.keys, key) >= 0;
  }

  /**
   * A map with `changes` applied: a value sets the key, `undefined` deletes it; the last change of a
   * key wins. Returns this map when nothing changed (same values, absent keys deleted).
   */
  update(changes: Iterable<readonly [string, V | undefined]>): SortedMap<V> {
    const sorted = sortChanges(changes);
    if (sorted.length === 0) return this;
    const leaves = this.#leaves;
    const measure = this.#measure;
    if (leaves.length === 0) {
      const merged = this.#merge({ keys: [], values: [], weight: 0 }, sorted, 0, sorted.length);
      if (merged === undefined) return this;
      const out: Leaf<V>[] = [];
      const weight = pushLeaves(out, merged.keys, merged.values, measure);
      return new SortedMap(out, measure, merged.keys.length, weight);
    }
    const out: Leaf<V>[] = [];
    let size = this.size;
    let weight = this.weight;
    let changed = false;
    let copied = 0;
    let next = 0;
    while (next < sorted.length) {
      // The leaf of the next change; keys ascend, so it is never before the leaves already handled.
      const li = this.#leafOf(sorted[next]![0]);
      copied = copyLeaves(out, leaves, copied, li);
      // Changes below the next leaf's first key belong to this leaf (below the first leaf: to it too).
      const upper = li + 1 < leaves.length ? leaves[li + 1]!.keys[0]! : undefined;
      let end = next + 1;
      while (end < sorted.length && (upper === undefined || sorted[end]![0] < upper)) end++;
      const leaf = leaves[li]!;
      const merged = this.#merge(leaf, sorted, next, end);
      next = end;
      copied = li + 1;
      if (merged === undefined) {
        appendLeaf(out, leaf);
        continue;
      }
      changed = true;
      size += merged.keys.length - leaf.keys.length;
      weight += pushLeaves(out, merged.keys, merged.values, measure) - leaf.weight;
    }
    if (!changed) return this;
    copyLeaves(out, leaves, copied, leaves.length);
    return new SortedMap(out, measure, size, weight);
  }

  *entries(): MapIterator<[string, V]> {
    for (const leaf of this.#leaves) {
      for (let i = 0; i < leaf.keys.length; i++) yield [leaf.keys[i]!, leaf.values[i]!];
    }
  }

  *keys(): MapIterator<string> {
    for (const leaf of this.#leaves) yield* leaf.keys;
  }

  *values(): MapIterator<V> {
    for (const leaf of this.#leaves) yield* leaf.values;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const leaf of this.#leaves) {
      for (let i = 0; i < leaf.keys.length; i++) callback.call(thisArg, leaf.values[i]!, leaf.keys[i]!, this);
    }
  }

  get [Symbol.toStringTag](): string {
    return 'SortedMap';
  }

  /** Index of the leaf that holds (or would hold) `key`. */
  #leafOf(key: string): number {
    const leaves = this.#leaves;
    let lo = 0;
    let hi = leaves.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (leaves[mid]!.keys[0]! <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The leaf's entries with sorted[from, to) applied, or undefined when they change nothing. */
  #merge(
    leaf: Leaf<V>,
    sorted: readonly (readonly [string, V | undefined])[],
    from: number,
    to: number,
  ): { keys: string[]; values: V[] } | undefined {
    const keys: string[] = [];
    const values: V[] = [];
    let changed = false;
    let i = 0;
    for (let c = from; c < to; c++) {
      const [key, value] = sorted[c]!;
      while (i < leaf.keys.length && leaf.keys[i]! < key) {
        keys.push(leaf.keys[i]!);
        values.push(leaf.values[i]!);
        i++;
      }
      const present = i < leaf.keys.length && leaf.keys[i] === key;
      if (present) {
        if (value !== leaf.values[i]) changed = true;
        i++;
      } else if (value !== undefined) changed = true;
      if (value !== undefined) {
        keys.push(key);
        values.push(value);
      }
    }
    if (!changed) return undefined;
    for (; i < leaf.keys.length; i++) {
      keys.push(leaf.keys[i]!);
      values.push(leaf.values[i]!);
    }
    return { keys, values };
  }
}

/** Binary search: the index of `key` in sorted `keys`, or -1. */
function indexIn(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = keys[mid]!;
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Changes sorted by key (stable), one per key: the last one given. */
function sortChanges<V>(
  changes: Iterable<readonly [string, V | undefined]>,
): (readonly [string, V | undefined])[] {
  const list = Array.isArray(changes)
    ? (changes as (readonly [string, V | undefined])[]).slice()
    : [...changes];
  let ordered = true;
  for (let i = 1; i < list.length && ordered; i++) ordered = list[i - 1]![0] < list[i]![0];
  if (ordered) return list;
  list.sort((a, b) => compareKeys(a[0], b[0]));
  const unique: (readonly [string, V | undefined])[] = [];
  for (const change of list) {
    if (unique.length > 0 && unique[unique.length - 1]![0] === change[0]) unique[unique.length - 1] = change;
    else unique.push(change);
  }
  return unique;
}

function weigh<V>(values: readonly V[], measure: ((value: V) => number) | undefined): number {
  if (measure === undefined) return 0;
  let weight = 0;
  for (const value of values) weight += measure(value);
  return weight;
}

/** Appends untouched leaves [from, to) (only the first can join a small predecessor); returns `to`. */
function copyLeaves<V>(out: Leaf<V>[], leaves: readonly Leaf<V>[], from: number, to: number): number {
  if (from >= to) return to;
  appendLeaf(out, leaves[from]!);
  for (let i = from + 1; i < to; i++) out.push(leaves[i]!);
  return to;
}

/** Appends an untouched leaf, merging it into a too-small predecessor. */
function appendLeaf<V>(out: Leaf<V>[], leaf: Leaf<V>): void {
  const last = out[out.length - 1];
  if (last !== undefined && last.keys.length < LEAF / 4 && last.keys.length + leaf.keys.length <= 2 * LEAF) {
    out[out.length - 1] = {
      keys: [...last.keys, ...leaf.keys],
      values: [...last.values, ...leaf.values],
      weight: last.weight + leaf.weight,
    };
    return;
  }
  out.push(leaf);
}

/**
 * Appends rebuilt entries as leaves of at most 2 × LEAF entries; small runs join their neighbour.
 * Returns the weight of the entries.
 */
function pushLeaves<V>(
  out: Leaf<V>[],
  keys: string[],
  values: V[],
  measure: ((value: V) => number) | undefined,
): number {
  if (keys.length === 0) return 0;
  const last = out[out.length - 1];
  if (last !== undefined && (keys.length < LEAF / 4 || last.keys.length < LEAF / 4)) {
    if (last.keys.length + keys.length <= 2 * LEAF) {
      const weight = weigh(values, measure);
      out[out.length - 1] = {
        keys: [...last.keys, ...keys],
        values: [...last.values, ...values],
        weight: last.weight + weight,
      };
      return weight;
    }
  }
  if (keys.length <= 2 * LEAF) {
    const weight = weigh(values, measure);
    out.push({ keys, values, weight });
    return weight;
  }
  const parts = Math.ceil(keys.length / LEAF);
  const per = Math.ceil(keys.length / parts);
  let total = 0;
  for (let start = 0; start < keys.length; start += per) {
    const partValues = values.slice(start, start + per);
    const weight = weigh(partValues, measure);
    total += weight;
    out.push({ keys: keys.slice(start, start + per), values: partValues, weight });
  }
  return total;
}
