// The training-batch stream with a resumable position. Each epoch's plan comes from its own seeded RNG, so a
// position is just (epoch, batch within the epoch) and resuming rebuilds the same plan.
import { createRng, deriveSeed } from '@trm/augment';
import type { Batch } from '../model/types.ts';
import { gatherBatch, planEpoch } from './batches.ts';
import { indexSplit, type EncodedSplit, type SplitIndex } from './split.ts';

export interface LoaderPosition {
  /** 0-based epoch of the next batch */
  epoch: number;
  /** index of the next batch within that epoch */
  batch: number;
}

export interface TrainLoader {
  readonly index: SplitIndex;
  /** full batches per epoch */
  readonly batchesPerEpoch: number;
  next(): { batch: Batch; epoch: number };
  position(): LoaderPosition;
}

export function createTrainLoader(split: EncodedSplit, batchSize: number, seed: number, start: LoaderPosition = { epoch: 0, batch: 0 }): TrainLoader {
  const index = indexSplit(split, 'train split');
  const plan = (epoch: number) => planEpoch(index, batchSize, createRng(deriveSeed(seed, 'train-epoch', epoch)));
  let epoch = start.epoch;
  let batches = plan(epoch);
  if (batches.length === 0) {
    throw new Error(
      `train split: one epoch (${index.numGroups} groups, ${index.meanPuzzleExamples.toFixed(2)} examples per puzzle) does not fill one batch of global_batch_size ${batchSize}`,
    );
  }
  if (start.batch > batches.length) throw new Error(`train loader: resume position batch ${start.batch} is past the ${batches.length} batches of epoch ${epoch}`);
  let next = start.batch;
  return {
    index,
    batchesPerEpoch: batches.length,
    next() {
      if (next >= batches.length) {
        epoch += 1;
        batches = plan(epoch);
        next = 0;
      }
      return { batch: gatherBatch(split, batches[next++]), epoch };
    },
    position: () => (next >= batches.length ? { epoch: epoch + 1, batch: 0 } : { epoch, batch: next }),
  };
}
