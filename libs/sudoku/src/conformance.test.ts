import { describe, it } from 'vitest';
import { datasetLaws } from '@trm/dataset';
import { sudoku } from './lib.ts';

// The DatasetLib contract's laws (libs/dataset/src/conformance.ts) on small generated boards: 4x4 and 6x6 (2x3 boxes).
for (const size of [4, 6]) {
  describe(`sudoku ${size}x${size}: DatasetLib laws`, () => {
    const laws = datasetLaws(sudoku, {
      fetch: { source: 'generator', size, train_size: 6, test_size: 3 },
      augment: { num_aug: 3 },
      encode: { size },
      seed: 5,
    });
    for (const law of laws) it(law.name, law.check);
  });
}
