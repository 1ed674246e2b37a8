import { describe, expect, it } from 'vitest';
import { createRng } from './rng.ts';
import { invertPermutation, permutationTable, randomPermutationInto } from './permutations.ts';

describe('permutation helpers', () => {
  it('lists all k! permutations in lexicographic order', () => {
    expect(permutationTable(3).map((p) => Array.from(p))).toEqual([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]);
    expect(permutationTable(4)).toHaveLength(24);
    expect(new Set(permutationTable(4).map((p) => p.join(''))).size).toBe(24);
    expect(() => permutationTable(9)).toThrow(/1\.\.8/);
  });

  it('fills a random permutation of base..base+k-1 at an offset, deterministically', () => {
    const out = new Uint8Array(10);
    randomPermutationInto(createRng(2), out, 9, 1, 1);
    expect(out[0]).toBe(0);
    expect(Array.from(out.subarray(1)).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const again = randomPermutationInto(createRng(2), new Uint8Array(10), 9, 1, 1);
    expect(Array.from(again)).toEqual(Array.from(out));
  });

  it('inverts permutations and rejects non-permutations', () => {
    const p = [2, 0, 3, 1];
    const inv = invertPermutation(p);
    for (let i = 0; i < p.length; i++) expect(inv[p[i]]).toBe(i);
    expect(() => invertPermutation([0, 0, 1])).toThrow(/not a permutation/);
  });
});
