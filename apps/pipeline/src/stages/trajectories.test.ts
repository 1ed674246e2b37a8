import { describe, expect, it } from 'vitest';
import { exactRight, pickTrajectories, subsetSplit, trajectoryCandidates } from './trajectories.ts';

const u8 = (...v: number[]) => Uint8Array.from(v);

describe('which test examples keep their per-step predictions', () => {
  it('candidates: the first wrong (up to 2K) and the first right (up to 8K), in test order', () => {
    expect(trajectoryCandidates(u8(1, 0, 1, 1, 0, 0, 1), 1)).toEqual([0, 1, 2, 3, 4, 6]);
    expect(trajectoryCandidates(u8(), 3)).toEqual([]);
  });

  it('exactRight ignores the cells whose label is the ignore id', () => {
    expect(exactRight(u8(1, 9), u8(1, 0), 0)).toBe(true);
    expect(exactRight(u8(1, 9), u8(1, 0), null)).toBe(false);
  });

  it('picks half fixed by the recursion, the rest wrong (changed first), never the ones right at step 1 that never changed', () => {
    const label = u8(1, 2);
    // per candidate: the predictions after each step
    const steps: Record<number, Uint8Array[]> = {
      0: [u8(1, 2), u8(1, 2)], // right throughout
      1: [u8(0, 0), u8(1, 2)], // fixed
      2: [u8(0, 0), u8(0, 0)], // wrong, unchanged
      3: [u8(0, 0), u8(1, 0)], // wrong, changed
      4: [u8(0, 2), u8(1, 2)], // fixed
      5: [u8(1, 2), u8(1, 1)], // right at step 1, wrong at the end: changed
    };
    const cands = [0, 1, 2, 3, 4, 5];
    const pick = (k: number) => pickTrajectories(cands, cands.map((i) => steps[i]), () => label, null, k);
    expect(pick(2)).toEqual([{ index: 1, kind: 'fixed' }, { index: 3, kind: 'changed' }]);
    expect(pick(4)).toEqual([{ index: 1, kind: 'fixed' }, { index: 3, kind: 'changed' }, { index: 4, kind: 'fixed' }, { index: 5, kind: 'changed' }]);
    expect(pick(6).map((x) => x.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('subsetSplit takes the rows asked for, in that order', () => {
    const split = {
      seqLen: 2, inputs: u8(1, 1, 2, 2, 3, 3), labels: u8(4, 4, 5, 5, 6, 6),
      puzzleIdentifiers: Int32Array.of(7, 8, 9), puzzleIndex: Int32Array.of(0, 1, 2), groupIndex: Int32Array.of(0, 1, 2),
    };
    const sub = subsetSplit(split as never, [2, 0]);
    expect(Array.from(sub.inputs)).toEqual([3, 3, 1, 1]);
    expect(Array.from(sub.labels)).toEqual([6, 6, 4, 4]);
    expect(Array.from(sub.puzzleIdentifiers)).toEqual([9, 7]);
  });
});
