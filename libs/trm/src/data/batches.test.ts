import { createRng } from '@trm/augment';
import { describe, expect, it } from 'vitest';
import { IGNORE_LABEL } from '@trm/tensor-core';
import { gatherBatch, planEpoch, testBatches } from './batches.ts';
import { createTrainLoader } from './loader.ts';
import { indexSplit, type EncodedSplit } from './split.ts';

/** groups[g][p] = number of examples of puzzle p of group g; token 1 of example row r encodes r */
function toySplit(groups: number[][], seqLen = 3): EncodedSplit {
  const puzzleIndex: number[] = [];
  const groupIndex: number[] = [];
  let puzzle = 0;
  groups.forEach((puzzles, g) => {
    for (const count of puzzles) {
      for (let e = 0; e < count; e++) {
        puzzleIndex.push(puzzle);
        groupIndex.push(g);
      }
      puzzle++;
    }
  });
  const n = puzzleIndex.length;
  const inputs = new Uint8Array(n * seqLen);
  const labels = new Uint8Array(n * seqLen);
  for (let r = 0; r < n; r++) {
    inputs[r * seqLen] = 1 + (r % 200);
    labels[r * seqLen] = 2;
    labels[r * seqLen + 1] = 0; // ignored
    labels[r * seqLen + 2] = 3;
  }
  return {
    inputs,
    labels,
    puzzleIdentifiers: Int32Array.from(puzzleIndex, (p) => 1 + (p % 4)),
    puzzleIndex: Int32Array.from(puzzleIndex),
    groupIndex: Int32Array.from(groupIndex),
    seqLen,
    vocabSize: 256,
    ignoreLabelId: 0,
    numPuzzleIdentifiers: 5,
  };
}

describe('indexSplit', () => {
  it('finds puzzles, groups and the mean examples per puzzle', () => {
    const idx = indexSplit(toySplit([[2, 3], [1], [4, 1, 1]]));
    expect(Array.from(idx.puzzleStarts)).toEqual([0, 2, 5, 6, 10, 11, 12]);
    expect(Array.from(idx.groupStarts)).toEqual([0, 2, 3, 6]);
    expect(idx.numGroups).toBe(3);
    expect(idx.meanPuzzleExamples).toBe(2);
  });
  it('names the field and row of bad input', () => {
    const s = toySplit([[2], [2]]);
    expect(() => indexSplit({ ...s, groupIndex: Int32Array.from([0, 1, 1, 1]) }, 'train.arrow')).toThrow(/train.arrow: groupIndex changes inside puzzle 0 at row 1/);
    expect(() => indexSplit({ ...s, puzzleIndex: Int32Array.from([1, 1, 0, 0]) })).toThrow(/puzzleIndex decreases at row 2/);
    expect(() => indexSplit({ ...s, puzzleIdentifiers: Int32Array.from([1, 1, 9, 1]) })).toThrow(/puzzleIdentifiers row 2 is 9/);
    expect(() => indexSplit({ ...s, labels: s.labels.subarray(1) })).toThrow(/labels has 11 tokens, expected 4 examples x seqLen 3/);
    expect(() => indexSplit({ ...s, vocabSize: 4 })).toThrow(/inputs row 3 has token 4 >= vocabSize 4/);
  });
});

describe('train batches', () => {
  const split = toySplit([[3, 3], [1, 1], [2], [5], [1], [2, 2, 2]]);
  const idx = indexSplit(split);

  it('visits every group at most once per epoch, one puzzle each, and drops the incomplete last batch', () => {
    for (let seed = 0; seed < 20; seed++) {
      const batches = planEpoch(idx, 4, createRng(seed));
      const rows = batches.flatMap((b) => Array.from(b));
      expect(batches.every((b) => b.length === 4)).toBe(true);
      expect(new Set(rows).size).toBe(rows.length); // no example twice
      const groupsSeen = new Map<number, Set<number>>();
      for (const r of rows) {
        const g = split.groupIndex[r];
        if (!groupsSeen.has(g)) groupsSeen.set(g, new Set());
        groupsSeen.get(g)!.add(split.puzzleIndex[r]);
      }
      for (const puzzles of groupsSeen.values()) expect(puzzles.size).toBe(1);
      // 6 groups whose chosen puzzles hold 3|1|2|5|1|2 examples: 14 rows at most (a puzzle that does not fit is cut)
      expect(batches.length).toBeGreaterThanOrEqual(1);
      expect(batches.length).toBeLessThanOrEqual(Math.floor(14 / 4));
    }
  });

  it('packs the examples of one puzzle together, truncating the one that does not fit', () => {
    const big = toySplit([[5], [5]]);
    const batches = planEpoch(indexSplit(big), 4, createRng(3));
    expect(batches.length).toBe(2);
    // each batch is 4 of the 5 examples of one puzzle (the fifth is cut, as the reference does)
    const puzzles = batches.map((b) => new Set(Array.from(b, (r) => big.puzzleIndex[r])));
    expect(puzzles.map((p) => p.size)).toEqual([1, 1]);
    expect([...puzzles[0], ...puzzles[1]].sort()).toEqual([0, 1]);
    // a puzzle of 3 then one of 3: the second fills the batch with 1 example and the rest of the epoch is dropped
    const three = toySplit([[3], [3]]);
    const packed = planEpoch(indexSplit(three), 4, createRng(5));
    expect(packed.length).toBe(1);
    const counts = new Map<number, number>();
    for (const r of packed[0]) counts.set(three.puzzleIndex[r], (counts.get(three.puzzleIndex[r]) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([1, 3]);
  });

  it('shuffles groups differently per epoch, deterministically per seed', () => {
    const a = createTrainLoader(split, 2, 7);
    const b = createTrainLoader(split, 2, 7);
    const c = createTrainLoader(split, 2, 8);
    const take = (l: typeof a, k: number) => Array.from({ length: k }, () => Array.from(l.next().batch.inputs));
    const ta = take(a, 12);
    expect(take(b, 12)).toEqual(ta);
    expect(take(c, 12)).not.toEqual(ta);
  });

  it('resumes from a saved position with the same batches', () => {
    const a = createTrainLoader(split, 2, 11);
    const seq = Array.from({ length: 15 }, () => a.next());
    const fresh = createTrainLoader(split, 2, 11);
    for (let i = 0; i < 9; i++) fresh.next();
    const resumed = createTrainLoader(split, 2, 11, fresh.position());
    for (let i = 9; i < 15; i++) {
      const r = resumed.next();
      expect(r.epoch).toBe(seq[i].epoch);
      expect(r.batch).toEqual(seq[i].batch);
    }
    expect(seq[14].epoch).toBeGreaterThan(0);
  });

  it('turns the ignore label into -100 and copies identifiers', () => {
    const b = gatherBatch(split, Int32Array.from([4, -1]));
    expect(Array.from(b.labels)).toEqual([2, IGNORE_LABEL, 3, IGNORE_LABEL, IGNORE_LABEL, IGNORE_LABEL]);
    expect(Array.from(b.inputs)).toEqual([5, 0, 0, 0, 0, 0]);
    expect(Array.from(b.puzzleIdentifiers)).toEqual([split.puzzleIdentifiers[4], 0]);
  });

  it('refuses a split that cannot fill one batch', () => {
    expect(() => createTrainLoader(toySplit([[1], [1]]), 4, 0)).toThrow(/does not fill one batch of global_batch_size 4/);
  });
});

describe('test batches', () => {
  it('walk the split in order and pad the last batch with unlabeled blank rows', () => {
    const split = { ...toySplit([[2], [3]]), blankIdentifierId: 0 };
    const batches = [...testBatches(split, 2)];
    expect(batches.map((b) => [b.start, b.count])).toEqual([[0, 2], [2, 2], [4, 1]]);
    const last = batches[2].batch;
    expect(Array.from(last.inputs.subarray(0, 3))).toEqual([5, 0, 0]);
    expect(Array.from(last.labels.subarray(3))).toEqual([IGNORE_LABEL, IGNORE_LABEL, IGNORE_LABEL]);
    expect(Array.from(last.inputs.subarray(3))).toEqual([0, 0, 0]);
    expect(last.puzzleIdentifiers[1]).toBe(0);
  });
});
