import { describe, it } from 'vitest';
import { datasetLaws } from '@trm/dataset';
import { maze } from './maze.ts';

// The DatasetLib contract's laws (libs/dataset/src/conformance.ts) on small generated mazes, with the dihedral copies.
describe('maze: DatasetLib laws', () => {
  const laws = datasetLaws(maze, {
    fetch: { source: 'generator', rows: 8, cols: 8, min_path_length: 6, train_count: 6, test_count: 3 },
    augment: { dihedral: true },
    encode: { rows: 8, cols: 8 },
    seed: 2,
  });
  for (const law of laws) it(law.name, law.check);
});
