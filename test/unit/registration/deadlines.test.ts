import { describe, expect, it } from '@jest/globals';
import { DeadlineHeap } from '../../../src/registration/deadlines.js';

describe('DeadlineHeap', () => {
  it('pops deadlines earliest first, only those due', () => {
    const heap = new DeadlineHeap();
    for (const at of [50, 10, 40, 30, 20, 10]) heap.push({ at, id: `r${at}` });
    expect(heap.peek()?.at).toBe(10);
    expect(heap.popDue(30).map((d) => d.at)).toEqual([10, 10, 20, 30]);
    expect(heap.size).toBe(2);
    expect(heap.popDue(100).map((d) => d.id)).toEqual(['r40', 'r50']);
    expect(heap.pop()).toBeUndefined();
  });
});
