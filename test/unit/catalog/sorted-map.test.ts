import { describe, expect, it } from '@jest/globals';
import { SortedMap } from '../../../src/catalog/sorted-map.js';
import { rng } from './random-batches.js';

const length = (value: string): number => value.length;

function sortedEntries(reference: ReadonlyMap<string, string>): [string, string][] {
  return [...reference].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Compared as text lines: jest's deep equality is slow on thousands of tuples, and a line diff reads well. */
function lines(entries: Iterable<readonly [string, string]>): string {
  return [...entries].map(([key, value]) => `${key}=${value}`).join('\n');
}

function expectSame(map: SortedMap<string>, reference: ReadonlyMap<string, string>): void {
  const expected = sortedEntries(reference);
  expect(lines(map)).toBe(lines(expected));
  const values = [...map.values()];
  expect(lines([...map.keys()].map((key, i) => [key, values[i]!] as const))).toBe(lines(expected));
  expect(map.size).toBe(reference.size);
  expect(map.weight).toBe(expected.reduce((sum, [, value]) => sum + value.length, 0));
}

describe('SortedMap', () => {
  it('iterates in key order whatever the insertion order, the last of equal keys winning', () => {
    const map = SortedMap.from([
      ['b', '1'],
      ['a', '2'],
      ['c', '3'],
      ['a', '4'],
    ]);
    expect([...map]).toEqual([
      ['a', '4'],
      ['b', '1'],
      ['c', '3'],
    ]);
    expect(map.get('a')).toBe('4');
    expect(map.has('d')).toBe(false);
    expect(map.get('0')).toBeUndefined();
  });

  it('leaves the map it was derived from unchanged and returns itself when nothing changes', () => {
    const before = SortedMap.from([
      ['a', 'x'],
      ['b', 'y'],
    ]);
    const after = before.update([
      ['a', undefined],
      ['c', 'z'],
    ]);
    expect([...before]).toEqual([
      ['a', 'x'],
      ['b', 'y'],
    ]);
    expect([...after]).toEqual([
      ['b', 'y'],
      ['c', 'z'],
    ]);
    expect(before.update([['b', 'y']])).toBe(before);
    expect(before.update([['missing', undefined]])).toBe(before);
    expect(before.update([])).toBe(before);
  });

  it('matches a Map under a seeded random sequence of batched sets and deletes, every version intact', () => {
    const random = rng(20241126);
    const reference = new Map<string, string>();
    let map = SortedMap.empty(length);
    const versions: { map: SortedMap<string>; entries: [string, string][] }[] = [];
    const lookups: [string, string | undefined, boolean][] = [];
    const expectedLookups: [string, string | undefined, boolean][] = [];
    for (let round = 0; round < 400; round++) {
      // Mostly small batches (the churn case), now and then a large one (a snapshot).
      const batchSize = random() < 0.05 ? 1 + Math.floor(random() * 600) : 1 + Math.floor(random() * 4);
      const changes: [string, string | undefined][] = [];
      for (let i = 0; i < batchSize; i++) {
        const key = `ns${Math.floor(random() * 7)}/svc-${Math.floor(random() * 900)}`;
        // Deletes grow likelier in the second half, so leaves shrink and merge as well as split.
        const value =
          random() < (round < 200 ? 0.2 : 0.6) ? undefined : 'v'.repeat(1 + Math.floor(random() * 9));
        changes.push([key, value]);
        if (value === undefined) reference.delete(key);
        else reference.set(key, value);
      }
      map = map.update(changes);
      if (round % 50 === 0) versions.push({ map, entries: sortedEntries(reference) });
      if (round % 25 === 0) expectSame(map, reference);
      for (let probe = 0; probe < 5; probe++) {
        const key = `ns${Math.floor(random() * 7)}/svc-${Math.floor(random() * 900)}`;
        lookups.push([key, map.get(key), map.has(key)]);
        expectedLookups.push([key, reference.get(key), reference.has(key)]);
      }
    }
    expectSame(map, reference);
    expect(JSON.stringify(lookups)).toBe(JSON.stringify(expectedLookups));
    for (const version of versions) expect(lines(version.map)).toBe(lines(version.entries));
  });

  it('keeps order and totals through growth to many leaves and shrinking back to a few', () => {
    const reference = new Map<string, string>();
    let map = SortedMap.empty(length);
    for (let i = 0; i < 5000; i++) reference.set(`k${String(i).padStart(5, '0')}`, 'x'.repeat(i % 5));
    map = map.update([...reference].reverse());
    expectSame(map, reference);
    const deletes: [string, undefined][] = [];
    for (const key of reference.keys()) if (Number(key.slice(1)) % 97 !== 0) deletes.push([key, undefined]);
    for (const [key] of deletes) reference.delete(key);
    map = map.update(deletes);
    expectSame(map, reference);
    map = map.update([['k00001', 'again']]);
    reference.set('k00001', 'again');
    expectSame(map, reference);
  });

  it('is a ReadonlyMap for code that reads maps: forEach, spread and Map construction', () => {
    const map = SortedMap.from([
      ['b', '2'],
      ['a', '1'],
    ]);
    const seen: string[] = [];
    map.forEach((value, key, self) => seen.push(`${key}=${value}:${self.size}`));
    expect(seen).toEqual(['a=1:2', 'b=2:2']);
    expect(new Map(map)).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    );
    expect(SortedMap.of(map)).toBe(map);
    expect(SortedMap.of(map, length)).not.toBe(map);
    expect(SortedMap.of(map, length).weight).toBe(2);
  });
});
