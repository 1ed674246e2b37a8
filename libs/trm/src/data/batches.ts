// Batches as the reference PuzzleDataset builds them (spec section 6).
// Train: an epoch visits every group once in a shuffled order, picks one random puzzle of the group and packs a
// random subset of its examples (all of them, or what still fits) into the batch; the incomplete last batch is
// dropped. Test: walk the split in order; the last batch is padded with rows that carry no label.
import type { Rng } from '@trm/augment';
import { IGNORE_LABEL } from '@trm/tensor-core';
import type { Batch } from '../model/types.ts';
import type { EncodedSplit, SplitIndex } from './split.ts';


/** Example rows of every full batch of one epoch, in order. */
export function planEpoch(index: SplitIndex, batchSize: number, rng: Rng): Int32Array[] {
  const groupOrder = rng.permutation(index.numGroups);
  const batches: Int32Array[] = [];
  let current = new Int32Array(batchSize);
  let size = 0;
  for (const group of groupOrder) {
    const firstPuzzle = index.groupStarts[group];
    const puzzle = firstPuzzle + rng.int(index.groupStarts[group + 1] - firstPuzzle);
    const start = index.puzzleStarts[puzzle];
    const count = index.puzzleStarts[puzzle + 1] - start;
    const take = Math.min(count, batchSize - size);
    // random subset of `take` examples without replacement (partial Fisher-Yates)
    const order = Int32Array.from({ length: count }, (_, i) => i);
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(count - i);
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
      current[size++] = start + order[i];
    }
    if (size === batchSize) {
      batches.push(current);
      current = new Int32Array(batchSize);
      size = 0;
    }
  }
  return batches; // a partial `current` is the dropped last batch
}

/** Gather example rows into a model batch; rows < 0 are padding (PAD inputs, no labels, blank identifier). */
export function gatherBatch(split: EncodedSplit, rows: Int32Array): Batch {
  const S = split.seqLen;
  const B = rows.length;
  const inputs = new Int32Array(B * S);
  const labels = new Int32Array(B * S).fill(IGNORE_LABEL);
  const puzzleIdentifiers = new Int32Array(B).fill(split.blankIdentifierId ?? 0);
  for (let b = 0; b < B; b++) {
    const row = rows[b];
    if (row < 0) continue;
    puzzleIdentifiers[b] = split.puzzleIdentifiers[row];
    for (let s = 0; s < S; s++) {
      inputs[b * S + s] = split.inputs[row * S + s];
      const label = split.labels[row * S + s];
      labels[b * S + s] = label === split.ignoreLabelId ? IGNORE_LABEL : label;
    }
  }
  return { inputs, labels, puzzleIdentifiers };
}

export interface TestBatch {
  batch: Batch;
  /** first example row of the batch */
  start: number;
  /** real (non-pad) rows, the first `count` rows of the batch */
  count: number;
}

/** The test split in order, `batchSize` rows per batch, the last one padded. */
export function* testBatches(split: EncodedSplit, batchSize: number): Generator<TestBatch> {
  const n = split.puzzleIdentifiers.length;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const rows = Int32Array.from({ length: batchSize }, (_, b) => (b < count ? start + b : -1));
    yield { batch: gatherBatch(split, rows), start, count };
  }
}
